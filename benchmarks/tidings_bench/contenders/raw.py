"""Raw driver ceilings: what psycopg and sqlite3 do with no event store in the way.

Rows go into a table shaped like an event store's (identity key, unique id, unique
stream position, category index), with payloads encoded before the timer. A single
event is one autocommitted ``INSERT``; a batch is one ``executemany`` in a transaction.
A small pool lends each call a connection of its own.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from ..backends import Location
from ..workload import CATEGORY, EVENT_NAME, Write, payload_text, stream_name
from .base import Contender

__all__ = ["RawPostgres", "RawSQLite"]

_Row = tuple[Any, ...]

_COLUMNS = "id, name, category, stream, position, payload, metadata, occurred_at, observed_at"


def _rows(writes: Sequence[Write], now: object) -> list[list[_Row]]:
    return [
        [
            (
                str(uuid.uuid4()),
                EVENT_NAME,
                CATEGORY,
                stream_name(write.stream),
                write.position + offset,
                payload_text(write.position + offset),
                "{}",
                now,
                now,
            )
            for offset in range(write.count)
        ]
        for write in writes
    ]


_Connection = TypeVar("_Connection", bound="_Closable")


class _Closable(Protocol):
    def close(self) -> None: ...


class _Pool(Generic[_Connection]):
    """Connections lent one call at a time, so threads never share one, and kept for the
    next call (as any real pool does): no round pays for opening connections."""

    def __init__(self, connect: Callable[[], _Connection]) -> None:
        self._connect = connect
        self._idle: list[_Connection] = []
        self._every: list[_Connection] = []
        self._lock = threading.Lock()

    def borrow(self) -> _Connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        connection = self._connect()
        with self._lock:
            self._every.append(connection)
        return connection

    def give_back(self, connection: _Connection) -> None:
        with self._lock:
            self._idle.append(connection)

    def close(self) -> None:
        for connection in self._every:
            connection.close()


class RawPostgres(Contender[list[_Row]]):
    """psycopg 3: single-row ``INSERT`` in autocommit, ``executemany`` for batches."""

    label = "raw"

    def __init__(self, location: Location) -> None:
        self._url = location.postgres_url
        table = f'"{location.schema}".raw_events'
        self._insert = (
            f"INSERT INTO {table} ({_COLUMNS}, recorded_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, now())"
        ).encode()
        self._pool: _Pool[Any] = _Pool(self._connect)
        connection = self._pool.borrow()
        connection.execute(
            f"""CREATE TABLE {table} (
                sequence_number bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id text NOT NULL UNIQUE, name text NOT NULL,
                category text NOT NULL, stream text NOT NULL, position bigint NOT NULL,
                payload text NOT NULL, metadata text NOT NULL,
                occurred_at timestamptz NOT NULL, observed_at timestamptz NOT NULL,
                recorded_at timestamptz NOT NULL,
                UNIQUE (category, stream, position));
            CREATE INDEX ON {table} (category, sequence_number)""".encode()
        )
        self._pool.give_back(connection)

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self._url, autocommit=True)

    def prepare(self, writes: Sequence[Write]) -> list[list[_Row]]:
        return _rows(writes, datetime.now(UTC))

    def append(self, prepared: list[_Row]) -> None:
        connection = self._pool.borrow()
        try:
            if len(prepared) == 1:
                connection.execute(self._insert, prepared[0])
            else:
                with connection.transaction(), connection.cursor() as cursor:
                    cursor.executemany(self._insert, prepared)
        finally:
            self._pool.give_back(connection)

    def close(self) -> None:
        self._pool.close()


class RawSQLite(Contender[list[_Row]]):
    """sqlite3: single-row autocommitted ``INSERT``, ``executemany`` for batches, in WAL
    mode at the row's ``synchronous`` level."""

    label = "raw"

    def __init__(self, location: Location) -> None:
        self._path = location.sqlite_path
        self._synchronous = location.row.setting.upper()
        self._insert = (
            f"INSERT INTO raw_events ({_COLUMNS}, recorded_at) VALUES ({', '.join('?' * 10)})"
        )
        self._pool: _Pool[sqlite3.Connection] = _Pool(self._connect)
        connection = self._pool.borrow()
        connection.executescript(
            """CREATE TABLE raw_events (
                sequence_number INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL, category TEXT NOT NULL, stream TEXT NOT NULL,
                position INTEGER NOT NULL, payload TEXT NOT NULL, metadata TEXT NOT NULL,
                occurred_at INTEGER NOT NULL, observed_at INTEGER NOT NULL,
                recorded_at INTEGER NOT NULL, UNIQUE (category, stream, position));
            CREATE INDEX raw_events_category ON raw_events (category, sequence_number);"""
        )
        self._pool.give_back(connection)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self._path, isolation_level=None, check_same_thread=False, timeout=30
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={self._synchronous}")
        return connection

    def prepare(self, writes: Sequence[Write]) -> list[list[_Row]]:
        now = int(datetime.now(UTC).timestamp() * 1_000_000)
        return [[(*row, now) for row in rows] for rows in _rows(writes, now)]

    def append(self, prepared: list[_Row]) -> None:
        connection = self._pool.borrow()
        try:
            if len(prepared) == 1:
                connection.execute(self._insert, prepared[0])
            else:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    connection.executemany(self._insert, prepared)
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
        finally:
            self._pool.give_back(connection)

    def close(self) -> None:
        self._pool.close()
