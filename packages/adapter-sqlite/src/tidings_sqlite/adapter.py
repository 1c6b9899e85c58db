"""The SQLite adapter: the embedded default, durable and safe across threads and processes."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from sqlite_utils import Database

from tidings.adapters import (
    URL,
    Capability,
    Identifier,
    ScanRequest,
    StorageAdapter,
    StoreBusyError,
    StoredEvent,
    StoreStatistics,
    StreamBatch,
    UnsupportedCapabilityError,
)
from tidings_sqlite.connections import ConnectionPool, open_database
from tidings_sqlite.errors import translate_error, translating
from tidings_sqlite.inspection import statistics
from tidings_sqlite.location import Location, locate
from tidings_sqlite.logs import publish_done, publish_started
from tidings_sqlite.options import SQLiteOptions
from tidings_sqlite.projections import SQLiteProjectionStorage
from tidings_sqlite.reading import latest_event, scan_events
from tidings_sqlite.schema import ensure_schema
from tidings_sqlite.statements import Statements
from tidings_sqlite.transactions import in_write_transaction
from tidings_sqlite.writing import append

__all__ = ["SQLiteAdapter"]

_CHANGE_POLL = 0.005
"""Seconds between two reads of ``PRAGMA data_version`` while a subscriber waits."""


class SQLiteAdapter(StorageAdapter):
    """Events in one SQLite table, written in ``BEGIN IMMEDIATE`` transactions in WAL mode,
    and projections in a second table beside it (``<table>_projections``).

    ``sqlite:///path.db`` is persistent and may be shared by many processes. ``sqlite://``
    is an in-memory database private to this store: it does not persist and no other
    store or process can see it, so such a store declares neither capability.

    With ``mode=ro``, or by default when the file is not writable by this process, the
    store opens the file read-only (:class:`~tidings_sqlite.options.Mode`): it reads,
    and ``publish`` or saving a projection raises
    :class:`~tidings.UnsupportedCapabilityError` before touching the file.
    """

    scheme = "sqlite"
    capabilities = frozenset(
        {
            Capability.PERSISTENT,
            Capability.MULTI_PROCESS,
            Capability.PROJECTION_STORAGE,
            Capability.COMPARE_AND_SET,
            Capability.READ_ONLY,
        }
    )
    options_type = SQLiteOptions

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, options: SQLiteOptions | None = None
    ) -> None:
        """Open (and create, on first use) the database at ``path``; None: in memory."""
        self.options = options or SQLiteOptions()
        location = Location(None if path is None else Path(path).expanduser().absolute())
        self.location = location.opened(self.options.mode)
        self._statements = Statements.for_table(self.options.table)
        self._projections = SQLiteProjectionStorage(
            self._borrow, self.options.table, self._refuse_writes
        )
        if self.location.in_memory:
            self.capabilities = frozenset(
                {Capability.PROJECTION_STORAGE, Capability.COMPARE_AND_SET}
            )
        # This store's writers queue here, in the process, for SQLite's write lock:
        # handing over a thread lock is immediate, while a connection that finds the
        # database locked sleeps in SQLite's busy handler (1 ms, then longer) before it
        # tries again. Other processes' writers still meet at the busy handler.
        self._writer = threading.Lock()
        self._commits = threading.Condition()
        self._pool = ConnectionPool(
            self._open_database,
            keep_idle=self.options.pool_size,
            exclusive=self.location.in_memory,
        )
        # Publishes take turns (see ``publish``), so they share one connection
        # whose page cache stays warm; with one connection per thread, each commit by
        # another connection would empty the cache of the next writer.
        self._write_pool = (
            self._pool
            if self.location.in_memory
            else ConnectionPool(self._open_database, keep_idle=1)
        )
        try:
            self.initialise()
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_url(cls, url: URL, options: SQLiteOptions) -> Self:
        return cls(locate(url).path, options=options)

    def initialise(self) -> None:
        """Create or upgrade the schema and switch the file to WAL mode. Idempotent."""
        with self._borrow("open") as db:
            ensure_schema(db, self.location, self.options.table)

    def statistics(self) -> StoreStatistics:
        """Counts, the schema version and the file's size (:mod:`tidings_sqlite.inspection`)."""
        with self._borrow("inspect") as db:
            return statistics(db, self.options.table, self.location)

    @property
    def read_only(self) -> bool:
        """Whether the store opened its file read-only (``mode=ro``, or not writable)."""
        return self.location.read_only

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        if self.location.read_only:
            self._refuse_writes("publish to")
        # The same steps as ``_borrow`` and ``write_transaction``, without generator
        # context managers: this path runs once per publish.
        if not self._writer.acquire(timeout=self.options.busy_timeout):
            raise StoreBusyError(
                f"could not publish to {self.location.describe()}: other writers of this "
                f"store held the write turn for longer than "
                f"busy_timeout={self.options.busy_timeout}s; nothing was written. "
                "Retry, raise busy_timeout, or reduce write contention"
            )
        started = publish_started()
        try:
            with self._write_pool.connection() as db:
                connection = db.conn
                stored = in_write_transaction(
                    connection, append, connection, self._statements, batches
                )
            publish_done(self.location.describe, started, stored)
            return stored
        except sqlite3.Error as error:
            raise translate_error(
                error,
                action="publish to",
                database=self.location.describe(),
                busy_timeout=self.options.busy_timeout,
            ) from error
        finally:
            self._writer.release()
            with self._commits:
                self._commits.notify_all()

    def wait_for_change(self, timeout: float) -> None:
        """Return when a commit may have happened, or after ``timeout`` seconds.

        A publish through this store wakes its subscribers at once (a condition
        variable). Another process's commit shows in ``PRAGMA data_version``, which
        changes on a connection whenever any other connection commits, and which is
        read every few milliseconds while a subscriber waits: one cheap query, no file
        scan. An in-memory database has no other writers, so it only waits.
        """
        deadline = time.monotonic() + timeout
        if self.location.in_memory:
            with self._commits:
                self._commits.wait(timeout)
            return
        with self._borrow("wait for changes in") as db:
            seen = db.conn.execute("PRAGMA data_version").fetchone()
            while (remaining := deadline - time.monotonic()) > 0:
                with self._commits:
                    if self._commits.wait(min(remaining, _CHANGE_POLL)):
                        return
                if db.conn.execute("PRAGMA data_version").fetchone() != seen:
                    return

    def scan(self, request: ScanRequest) -> Iterator[StoredEvent]:
        return scan_events(
            lambda: self._borrow("read from"), self._statements, request, self.options.page_size
        )

    def latest(self, target: Identifier) -> StoredEvent | None:
        return latest_event(lambda: self._borrow("read from"), self._statements, target)

    def projections(self) -> SQLiteProjectionStorage:
        return self._projections

    def close(self) -> None:
        """Close every connection; a file database is checkpointed by its last one."""
        self._pool.close()
        self._write_pool.close()

    def __repr__(self) -> str:
        shown = f"{self.location.describe()!r}, table={self.options.table!r}"
        return f"SQLiteAdapter({shown}{', read-only' if self.read_only else ''})"

    def _refuse_writes(self, action: str) -> None:
        """Raise before a write when the store is read-only; do nothing otherwise."""
        if self.location.read_only:
            raise UnsupportedCapabilityError(
                f"cannot {action} {self.location.describe()}: the store is read-only "
                f"(mode=ro, or the file is not writable by this user); nothing was written"
            )

    def _open_database(self) -> Database:
        return open_database(self.location, self.options)

    @contextmanager
    def _borrow(self, action: str) -> Iterator[Database]:
        with (
            translating(
                action=action,
                database=self.location.describe(),
                busy_timeout=self.options.busy_timeout,
            ),
            self._pool.connection() as db,
        ):
            yield db
