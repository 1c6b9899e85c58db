# Generated from async_bound.py by tools/unasync.py: do not edit.
"""The adapter on one connection the application holds: publish inside its transaction.

This is the transactional outbox: the application's rows and the events commit or roll
back together, because both are written in the application's transaction, which only
the application commits. The adapter's plans send BEGIN, COMMIT and ROLLBACK of their
own; here they become a savepoint's, and each statement outside them runs in a
savepoint of its own, so a statement that fails (an unmet condition, an id stored
before) leaves the caller's transaction usable and the error is raised as usual.

The ordering lock a publish takes is transaction-scoped: it is held until the caller
commits or rolls back, so other writers at the same ordering level wait for that, and
a long transaction holds them all up. Keep such transactions short.

Subscribers follow a stream's events in transaction id order (contract rule 24), and a
pooled publish draws its transaction id under the stream's lock, so ids rise with
positions. A caller's transaction that wrote before it published drew its id earlier: if
another writer published to the same stream in between, the new events would sit after
that writer's with a lower id, and a subscriber would see the stream out of order. Such
a publish is undone (to a savepoint) and refused with a
:class:`~tidings.StorageError` that says so; the caller rolls back and retries, or
publishes before its transaction's other writes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, cast

import psycopg
from psycopg import pq, sql
from psycopg_pool import ConnectionPool

from tidings.adapters import StorageError, StoreClosedError, StoredEvent, StreamBatch
from tidings_postgres.adapter import PostgresAdapter, adopted
from tidings_postgres.arrays import ARRAY_TYPES
from tidings_postgres.connection import Connection, Server, failures
from tidings_postgres.options import PostgresOptions

__all__ = ["BoundPostgresAdapter", "Savepoints"]

_SAVEPOINT = "tidings_plan"
_STATEMENT_SAVEPOINT = "tidings_statement"
_PUBLISH_SAVEPOINT = "tidings_publish"
_HAS_ID = "SELECT pg_current_xact_id_if_assigned() IS NOT NULL"
_OVERTAKEN = (
    "SELECT transaction_id > pg_current_xact_id() FROM {}.events"
    " WHERE category = %s AND stream = %s AND position = %s"
)


class Savepoints:
    """The caller's connection as the plans see it: their transaction statements become
    a savepoint's, and any statement outside them gets a savepoint of its own."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._depth = 0

    def execute(
        self, query: Any, params: Any = None, *, binary: bool = False
    ) -> psycopg.Cursor[tuple[Any, ...]]:
        """Send ``query`` as the plans mean it, inside the caller's transaction."""
        if query in ("BEGIN", b"BEGIN"):
            self._depth += 1
            return self.conn.execute(f"SAVEPOINT {_SAVEPOINT}")
        if query in ("COMMIT", b"COMMIT"):
            self._depth -= 1
            return self.conn.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        if query in ("ROLLBACK", b"ROLLBACK"):
            self._depth -= 1
            self.conn.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            return self.conn.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        if self._depth:
            return self.conn.execute(query, params, binary=binary)
        self.conn.execute(f"SAVEPOINT {_STATEMENT_SAVEPOINT}")
        try:
            cursor = self.conn.execute(query, params, binary=binary)
        except psycopg.Error:
            with suppress(psycopg.Error):  # a lost connection has lost the transaction
                self.conn.execute(f"ROLLBACK TO SAVEPOINT {_STATEMENT_SAVEPOINT}")
            raise
        self.conn.execute(f"RELEASE SAVEPOINT {_STATEMENT_SAVEPOINT}")
        return cursor

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


class BoundPostgresAdapter(PostgresAdapter):
    """Every call on one connection of the application's, in its transaction if it has
        one open (otherwise each call commits at once, as on a pool). Calls are serialised
        on the connection; closing the adapter leaves the connection open (it closes only
    the pool object of the base class, which is never opened)."""

    def __init__(self, conn: Connection, server: Server, options: PostgresOptions) -> None:
        super().__init__(server, options)
        self.conn = conn
        self._serial = threading.Lock()

    def _open_pool(self) -> ConnectionPool[Connection]:
        """Check the schema on first use; the pool itself is never opened."""
        if self._closed:
            raise StoreClosedError("the PostgreSQL store is closed")
        if not self._ready:
            self._check_or_create_schema()
            self._ready = True
        return self.pool

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        """Publish in the caller's transaction; refused, with nothing written, where the
        transaction's id would put a stream out of order (see the module's docstring)."""
        conn = self.conn
        if conn.info.transaction_status == pq.TransactionStatus.IDLE or not batches:
            return super().publish(batches)
        with failures(self._server, "publish to", sends=True):
            has_id = (conn.execute(_HAS_ID)).fetchone()
            if not (has_id and has_id[0]):
                return super().publish(batches)  # its id is drawn under the lock
            conn.execute(f"SAVEPOINT {_PUBLISH_SAVEPOINT}")
            try:
                stored = super().publish(batches)
                late = [
                    events[0].stream for events in stored if events and self._overtaken(events[0])
                ]
                if late:
                    raise StorageError(
                        f"nothing was published: this transaction wrote before it published, "
                        f"and another writer has published to {late!r} since, so the new "
                        "events would follow that writer's with an older transaction id and "
                        "subscribers would see the stream out of order. Roll back and retry "
                        "the transaction, or publish before its other writes"
                    )
            except BaseException:
                with suppress(psycopg.Error):  # a lost connection has lost the transaction
                    conn.execute(f"ROLLBACK TO SAVEPOINT {_PUBLISH_SAVEPOINT}")
                    conn.execute(f"RELEASE SAVEPOINT {_PUBLISH_SAVEPOINT}")
                raise
            conn.execute(f"RELEASE SAVEPOINT {_PUBLISH_SAVEPOINT}")
        return stored

    def _overtaken(self, first: StoredEvent) -> bool:
        """Whether the event before ``first`` in its stream has a later transaction id."""
        if first.position == 0:
            return False
        overtaken = sql.SQL(_OVERTAKEN).format(sql.Identifier(self.options.schema))
        row = (
            self.conn.execute(overtaken, [first.category, first.stream, first.position - 1])
        ).fetchone()
        return bool(row and row[0])

    @contextmanager
    def _setup_connection(self, action: str) -> Iterator[Connection]:
        with self._serial, self._bound() as conn:
            yield conn

    @contextmanager
    def _connection(
        self,
        action: str,
        *,
        retry: bool = False,
        sends: bool = False,
        replica: bool = False,
    ) -> Iterator[Connection]:
        """The application's connection; never retried, since a lost one lost the
        caller's transaction with it, and never a replica's, since the caller reads
        its own transaction."""
        if action != "read from":
            self._refuse_in_read_only(action)
        self._open_pool()
        with self._serial:
            with failures(self._server, action, sends=sends), self._watchdog.watch(self.conn):
                with self._bound() as conn:
                    yield conn

    @contextmanager
    def _bound(self) -> Iterator[Connection]:
        conn = self.conn
        idle = conn.info.transaction_status == pq.TransactionStatus.IDLE
        if conn.autocommit and idle:
            with adopted(conn):
                yield conn
            return
        for array_type, dumper in ARRAY_TYPES:
            conn.adapters.register_dumper(array_type, dumper)
        yield cast(Connection, Savepoints(conn))
