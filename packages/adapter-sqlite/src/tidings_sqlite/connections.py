"""Connections to one database, shared safely by many threads.

A store hands each operation a connection of its own from a small pool, so no
connection is ever used by two threads at once. A file database opens more connections
under load and keeps ``pool_size`` idle ones; ``sqlite://`` has exactly one connection
(its database lives in it), lent to one thread at a time in arrival order.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from urllib.parse import quote

from sqlite_utils import Database

from tidings.adapters import (
    StoreClosedError,
)
from tidings_sqlite.location import Location
from tidings_sqlite.logs import trace_statements
from tidings_sqlite.options import SQLiteOptions

__all__ = ["ConnectionPool", "open_database"]

_STATEMENT_CACHE = 256


def open_database(location: Location, options: SQLiteOptions) -> Database:
    """Open and configure one connection, wrapped in a sqlite-utils ``Database``.

    The connection is in autocommit mode (``isolation_level=None``): writes open their
    own ``BEGIN IMMEDIATE`` transactions, and reads see the latest commit. A read-only
    location opens the file with SQLite's ``mode=ro``, so SQLite itself refuses writes.
    """
    if location.path is None:
        target, uri = ":memory:", False
    elif location.read_only:
        target, uri = f"file:{quote(str(location.path))}?mode=ro", True
    else:
        target, uri = str(location.path), False
    connection = sqlite3.connect(
        target,
        timeout=options.busy_timeout,
        isolation_level=None,
        check_same_thread=False,
        cached_statements=_STATEMENT_CACHE,
        uri=uri,
    )
    try:
        trace_statements(connection, location.describe())
        connection.execute(f"PRAGMA synchronous = {options.synchronous.name}")
        return Database(
            connection,
            recursive_triggers=False,
            execute_plugins=options.sqlite_utils_plugins,
        )
    except BaseException:
        connection.close()
        raise


class ConnectionPool:
    """Lends connections to threads, one borrower per connection at a time."""

    def __init__(
        self, connect: Callable[[], Database], *, keep_idle: int, exclusive: bool = False
    ) -> None:
        """``exclusive``: open one connection only and lend it to one borrower at a time."""
        self._connect = connect
        self._keep_idle = 1 if exclusive else keep_idle
        self._idle: list[Database] = []
        self._lock = threading.Lock()
        self._closed = False
        self._turns = _FairLock() if exclusive else None

    @contextmanager
    def connection(self) -> Iterator[Database]:
        """Borrow a connection for the duration of the block."""
        if self._turns is not None:
            self._turns.acquire()
        try:
            database = self._borrow()
            try:
                yield database
            finally:
                self._give_back(database)
        finally:
            if self._turns is not None:
                self._turns.release()

    def close(self) -> None:
        """Close idle connections now and borrowed ones when they come back. Idempotent."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for database in idle:
            database.conn.close()

    def _borrow(self) -> Database:
        with self._lock:
            if self._closed:
                raise StoreClosedError("the store is closed")
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _give_back(self, database: Database) -> None:
        connection = database.conn
        if connection.in_transaction:
            # Only an interrupted write gets here; never lend out an open transaction.
            with suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
        with self._lock:
            keep = (
                not self._closed
                and not connection.in_transaction
                and len(self._idle) < self._keep_idle
            )
            if keep:
                self._idle.append(database)
        if not keep:
            connection.close()


class _FairLock:
    """A lock granted in arrival order, so a thread polling in a loop cannot starve others."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._waiting: deque[object] = deque()
        self._held = False

    def acquire(self) -> None:
        ticket = object()
        with self._condition:
            self._waiting.append(ticket)
            while self._held or self._waiting[0] is not ticket:
                self._condition.wait()
            self._waiting.popleft()
            self._held = True

    def release(self) -> None:
        with self._condition:
            self._held = False
            self._condition.notify_all()
