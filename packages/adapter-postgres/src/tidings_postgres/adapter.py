"""The PostgreSQL adapter: one round trip per publish, keyset-paged scans, pooled.

Writes are serialised by transaction-scoped advisory locks at the chosen ordering level
and sequence numbers are drawn while the lock is held, so a reader polling "after N"
within that level never skips an event that commits later.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Self

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from tidings.adapter import (
    Capability,
    Ordering,
    ProjectionStorage,
    ScanRequest,
    StorageAdapter,
)
from tidings.errors import StorageError, StoreClosedError
from tidings.events import StoredEvent
from tidings.identifiers import Identifier
from tidings.publishing import StreamBatch, match_retry
from tidings.url import URL
from tidings_postgres.conditions import compile_condition
from tidings_postgres.connection import Server, translate_error
from tidings_postgres.migrations import ensure_schema
from tidings_postgres.options import PostgresOptions
from tidings_postgres.projections import PostgresProjectionStorage
from tidings_postgres.rows import PublishCall, decode_event, stored_events
from tidings_postgres.statements import Statements, scope_parameters

__all__ = ["PostgresAdapter"]

Connection = psycopg.Connection[tuple[Any, ...]]
_ATTEMPTS = 5
"""Publish attempts: each further one follows a retry resolved by event id."""
_ID_CONSTRAINT = "events_id_key"


@dataclass(frozen=True, slots=True)
class _Existing:
    """An attempt found events already stored with some of the batches' ids."""

    events: tuple[StoredEvent, ...]


class PostgresAdapter(StorageAdapter):
    """Events in one PostgreSQL schema, shared safely by many threads and processes."""

    scheme = "postgresql"
    capabilities = frozenset(
        {
            Capability.PERSISTENT,
            Capability.MULTI_PROCESS,
            Capability.ORDERING_LEVELS,
            Capability.PROJECTION_STORAGE,
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
        self._projections = PostgresProjectionStorage(options.schema, self._read, self._connection)

    @classmethod
    def from_url(cls, url: URL, options: PostgresOptions) -> Self:
        """Connect, create the schema if needed, and open the pool.

        A server that cannot be reached fails here, naming the host but not the password.
        """
        adapter = cls(Server(url, options), options)
        adapter.initialise()
        return adapter

    @property
    def ordering(self) -> Ordering:
        return self.options.ordering

    def initialise(self) -> None:
        """Create the schema unless it exists; safe when several processes start at once."""
        with self._server.connect() as conn:
            try:
                ensure_schema(conn, self.options.schema)
            except psycopg.Error as error:
                translate_error(error, self._server, f"create schema {self.options.schema!r} on")

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        if not batches:
            return []
        results: list[list[StoredEvent] | None] = [None] * len(batches)
        pending = list(range(len(batches)))
        for _ in range(_ATTEMPTS):
            outcome = self._attempt([batches[index] for index in pending])
            if not isinstance(outcome, _Existing):
                for index, stored in zip(pending, outcome):
                    results[index] = stored
                return [stored for stored in results if stored is not None]
            by_id = {event.id: event for event in outcome.events}
            unresolved = []
            for index in pending:
                batch = batches[index]
                retried = match_retry(batch, {i: by_id[i] for i in batch.ids if i in by_id})
                if retried is None:
                    unresolved.append(index)
                else:
                    results[index] = retried
            pending = unresolved
            if not pending:
                return [stored for stored in results if stored is not None]
        raise StorageError(
            f"publish to PostgreSQL at {self._server.description} kept racing with writers "
            f"of the same event ids; gave up after {_ATTEMPTS} attempts"
        )

    def _attempt(self, batches: list[StreamBatch]) -> list[list[StoredEvent]] | _Existing:
        compiled = [compile_condition(batch.condition) for batch in batches]
        ready = [condition for condition in compiled if condition is not None]
        with self._connection("publish to") as conn:
            try:
                if len(ready) == len(compiled):
                    call = PublishCall.build(batches, ready)
                    rows = conn.execute(self._statements.publish, call.parameters(self._level))
                    return self._outcome(call, rows.fetchall())
                return self._general_path(conn, batches)
            except pg_errors.UniqueViolation as error:
                if error.diag.constraint_name != _ID_CONSTRAINT:
                    raise
                # A concurrent writer at a finer ordering level stored one of our ids
                # first; the next attempt sees it and resolves the retry.
                return _Existing(())

    def _general_path(
        self, conn: Connection, batches: list[StreamBatch]
    ) -> list[list[StoredEvent]] | _Existing:
        """Custom conditions run in Python, inside a transaction that holds the lock."""
        call = PublishCall.build(batches)
        statements = self._statements
        with conn.transaction():
            streams = [batch.stream.stream for batch in batches]
            conn.execute(statements.take_locks, (self._level, batches[0].stream.category, streams))
            given_ids = [event_id for batch in batches for event_id in batch.ids]
            if given_ids:
                existing = conn.execute(statements.existing_ids, [given_ids]).fetchall()
                if existing:
                    return _Existing(tuple(decode_event(row) for row in existing))
            for batch in batches:
                stream = batch.stream
                row = conn.execute(statements.last_event, (stream.category, stream.stream))
                last = row.fetchone()
                batch.condition.assert_met_by(
                    last_event=None if last is None else decode_event(last), stream=stream
                )
            rows = conn.execute(statements.publish, call.parameters(self._level)).fetchall()
        return self._outcome(call, rows)

    def _outcome(
        self, call: PublishCall, rows: list[tuple[Any, ...]]
    ) -> list[list[StoredEvent]] | _Existing:
        if not rows:
            return [[] for _ in call.batches]
        kind = rows[0][0]
        if kind == "existing":
            return _Existing(tuple(decode_event(row, 2) for row in rows))
        if kind == "unmet":
            batch = call.batches[rows[0][1] - 1]
            last = None if rows[0][2] is None else decode_event(rows[0], 2)
            batch.condition.assert_met_by(last_event=last, stream=batch.stream)
            raise StorageError(
                f"the SQL check of {batch.condition!r} disagreed with its Python check; "
                "please report this as a bug"
            )
        numbers = {row[2]: (row[6], row[7]) for row in rows}
        return stored_events(call, numbers, rows[0][12])

    def scan(self, request: ScanRequest) -> Iterator[StoredEvent]:
        filtered = request.names is not None
        query = self._statements.scan(request.target, filtered=filtered)
        parameters = scope_parameters(request.target)
        if request.names is not None:
            parameters["names"] = sorted(request.names)
        after = request.after or 0
        remaining = request.limit
        page_size = self.options.page_size
        while remaining is None or remaining > 0:
            size = page_size if remaining is None else min(page_size, remaining)
            rows = self._read(query, {**parameters, "after": after, "limit": size})
            yield from (decode_event(row) for row in rows)
            if len(rows) < size:
                return
            after = rows[-1][5]
            if remaining is not None:
                remaining -= len(rows)

    def latest(self, target: Identifier) -> StoredEvent | None:
        rows = self._read(self._statements.latest(target), scope_parameters(target))
        return decode_event(rows[0]) if rows else None

    def projections(self) -> ProjectionStorage:
        return self._projections

    def _read(
        self, query: str, parameters: Mapping[str, object] | Sequence[object]
    ) -> list[tuple[Any, ...]]:
        """One page; a connection the server dropped while pooled is replaced once,
        which is safe because reading twice changes nothing."""
        try:
            with self._connection("read from", translate=False) as conn:
                return conn.execute(query, parameters).fetchall()
        except psycopg.OperationalError:
            pass
        except psycopg.Error as error:
            translate_error(error, self._server, "read from")
        with self._connection("read from") as conn:
            return conn.execute(query, parameters).fetchall()

    @contextmanager
    def _connection(self, action: str, *, translate: bool = True) -> Iterator[Connection]:
        pool = self._open_pool()
        try:
            with pool.connection() as conn:
                yield conn
        except psycopg.Error as error:
            if isinstance(error, psycopg.OperationalError):
                # The server may have dropped other pooled connections too (a restart, a
                # failover): discard them now so that the next call gets a live one.
                self._discard_broken(pool)
            if not translate:
                raise
            translate_error(error, self._server, action)

    @staticmethod
    def _discard_broken(pool: ConnectionPool[Connection]) -> None:
        with suppress(psycopg.Error):
            pool.check()

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
