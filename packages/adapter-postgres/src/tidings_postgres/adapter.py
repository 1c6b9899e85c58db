"""The PostgreSQL adapter: one round trip per publish, keyset-paged scans, pooled.

Writes are serialised by transaction-scoped advisory locks at the chosen ordering level
and sequence numbers are drawn while the lock is held, so a reader polling "after N"
within that level never skips an event that commits later. The logic lives in sans-IO
plans (:mod:`~tidings_postgres.publishing`, :mod:`~tidings_postgres.reading`,
:mod:`~tidings_postgres.migrations`) that this blocking face and
:class:`~tidings_postgres.async_adapter.AsyncPostgresAdapter` both run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import partial
from typing import TYPE_CHECKING, Self

import psycopg
from psycopg_pool import ConnectionPool

from tidings._protocol.adapter import (
    Capability,
    Ordering,
    ProjectionStorage,
    ScanRequest,
    StorageAdapter,
)
from tidings.errors import StoreClosedError
from tidings._model.events import StoredEvent
from tidings._model.identifiers import Identifier
from tidings._protocol.publishing import StreamBatch
from tidings._plugins.url import URL
from tidings_postgres.connection import Connection, Server, failures
from tidings_postgres.migrations import schema_plan
from tidings_postgres.options import PostgresOptions
from tidings_postgres.plans import Driver, Plan, Rows, Statement, returns_rows, run
from tidings_postgres.projections import PostgresProjectionStorage
from tidings_postgres.publishing import Outcome, publish_plan
from tidings_postgres.reading import latest_event, latest_statement, scan_plan
from tidings_postgres.rows import decode_event
from tidings_postgres.statements import Statements

if TYPE_CHECKING:
    from tidings_postgres.async_adapter import AsyncPostgresAdapter

__all__ = ["PostgresAdapter", "fetch"]


def fetch(conn: Connection, statement: Statement) -> Rows:
    """Send one statement; its rows, or none for a statement that returns none."""
    cursor = conn.execute(statement.sql, statement.params, binary=statement.binary)
    return cursor.fetchall() if returns_rows(cursor.pgresult) else []


class PostgresAdapter(StorageAdapter):
    """Events in one PostgreSQL schema, shared safely by many threads and processes."""

    scheme = "postgresql"
    capabilities = frozenset(
        {
            Capability.PERSISTENT,
            Capability.MULTI_PROCESS,
            Capability.ORDERING_LEVELS,
            Capability.PROJECTION_STORAGE,
            Capability.NATIVE_ASYNC,
        }
    )
    options_type = PostgresOptions

    def __init__(self, server: Server, options: PostgresOptions) -> None:
        self._server = server
        self.options = options
        self._statements = Statements.for_schema(options.schema)
        self._level = options.ordering.value
        self._lock = threading.Lock()
        self._pool: ConnectionPool[Connection] | None = None
        self._closed = False
        self._projections = PostgresProjectionStorage(options.schema, self._read, self._write)

    @classmethod
    def from_url(cls, url: URL, options: PostgresOptions) -> Self:
        """Connect, create the schema if needed, and open the pool.

        A server that cannot be reached fails here, naming the host but not the password.
        """
        adapter = cls(Server(url, options), options)
        adapter.initialise()
        return adapter

    @classmethod
    def open_async(cls, url: URL, options: PostgresOptions) -> AsyncPostgresAdapter:
        """The native async face, on psycopg's ``AsyncConnectionPool``."""
        from tidings_postgres.async_adapter import AsyncPostgresAdapter

        return AsyncPostgresAdapter(Server(url, options), options)

    @property
    def ordering(self) -> Ordering:
        return self.options.ordering

    def initialise(self) -> None:
        """Create the schema unless it exists; safe when several processes start at once."""
        action = f"create schema {self.options.schema!r} on"
        with self._server.connect() as conn, failures(self._server, action):
            run(schema_plan(self.options.schema), partial(fetch, conn))

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        plan = publish_plan(self._statements, self._level, batches, self._server.description)
        return run(plan, self._attempt)

    def _attempt(self, attempt: Plan[Outcome]) -> Outcome:
        with self._connection("publish to") as conn:
            return run(attempt, partial(fetch, conn))

    def scan(self, request: ScanRequest) -> Iterator[StoredEvent]:
        pages = Driver(scan_plan(self._statements, request, self.options.page_size))
        for page in pages:
            pages.reply = rows = self._read(page)
            yield from map(decode_event, rows)

    def latest(self, target: Identifier) -> StoredEvent | None:
        return latest_event(self._read(latest_statement(self._statements, target)))

    def projections(self) -> ProjectionStorage:
        return self._projections

    def _read(self, statement: Statement) -> Rows:
        """One query; a connection the server dropped while pooled is replaced once,
        which is safe because reading twice changes nothing."""
        for retry in (True, False):
            with self._connection("read from", retry=retry) as conn:
                return fetch(conn, statement)
        raise AssertionError("unreachable: the second attempt raises")

    def _write(self, statement: Statement) -> Rows:
        """A projection's upsert, sent once."""
        with self._connection("save a projection to") as conn:
            return fetch(conn, statement)

    @contextmanager
    def _connection(self, action: str, *, retry: bool = False) -> Iterator[Connection]:
        pool = self._open_pool()
        with failures(self._server, action, retry=retry):
            try:
                with pool.connection() as conn:
                    yield conn
            except psycopg.OperationalError:
                # The server may have dropped other pooled connections too (a restart, a
                # failover): discard them now so that the next call gets a live one.
                with suppress(psycopg.Error):
                    pool.check()
                raise

    def _open_pool(self) -> ConnectionPool[Connection]:
        with self._lock:
            if self._closed:
                raise StoreClosedError("the PostgreSQL store is closed")
            if self._pool is None:
                self._pool = self._server.pool()
            return self._pool

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def __repr__(self) -> str:
        return (
            f"PostgresAdapter({self._server.description!r}, schema={self.options.schema!r}, "
            f"ordering={self.options.ordering.value!r})"
        )
