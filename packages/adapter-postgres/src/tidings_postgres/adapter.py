# Generated from async_adapter.py by tools/unasync.py: do not edit.
"""The PostgreSQL adapter: one round trip per publish, keyset-paged scans, pooled.

Writes are serialised by transaction-scoped advisory locks at the chosen ordering level
and sequence numbers are drawn while the lock is held, so a reader polling "after N"
within that level never skips an event that commits later. The logic lives in sans-IO
plans (:mod:`~tidings_postgres.publishing`, :mod:`~tidings_postgres.reading`,
:mod:`~tidings_postgres.migrations`); this module only performs their I/O.

The async module is the one source of both faces; the sync module is generated from it
by ``tools/unasync.py``. Cancelling a task mid-publish cancels the statement on the server
(psycopg does) and rolls back any open transaction (the plan does), so nothing partial is
written and the connection goes back to the pool. A scan holds no connection between
pages, so an abandoned iterator holds nothing. With ``operation_timeout`` set, a call
whose server stays silent past it is ended by a watchdog
(:mod:`~tidings_postgres.connection`), on either face.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import partial
from typing import TYPE_CHECKING, Self

import psycopg
from psycopg_pool import ConnectionPool

from tidings.adapters import (
    URL,
    Capability,
    Checkpoint,
    Driver,
    ExpectedRow,
    FollowPage,
    FollowRequest,
    Identifier,
    Ordering,
    Projection,
    ProjectionStorage,
    Query,
    ScanRequest,
    StorageAdapter,
    StorageError,
    StoreClosedError,
    StoredEvent,
    StoreStatistics,
    StreamBatch,
    StreamIdentifier,
    UnsupportedCapabilityError,
    run,
)
from tidings_postgres.arrays import ARRAY_TYPES
from tidings_postgres.bulk import BulkStatements, Copy, bulk_load_plan
from tidings_postgres.connection import Connection, Server, Watchdog, failures
from tidings_postgres.inspection import existing_schema_plan, statistics_plan
from tidings_postgres.logs import statement_done, statement_started
from tidings_postgres.migrations import schema_plan
from tidings_postgres.notifications import (
    CommitListener,
    channel_for,
    notify_statement,
)
from tidings_postgres.options import PostgresOptions
from tidings_postgres.plans import Plan, Rows, Statement, each, in_transaction, returns_rows
from tidings_postgres.projections import ProjectionStatements, count_of, many, one
from tidings_postgres.publishing import Notified, Outcome, publish_plan
from tidings_postgres.reading import (
    HEAD_POLL,
    HEAD_WAIT,
    follow_page,
    follow_statement,
    head_statement,
    latest_event,
    latest_statement,
    scan_plan,
    settled_head,
)
from tidings_postgres.replicas import (
    DURABLE_WAIT,
    PRIMARY_POSITION,
    REPLAY_POLL,
    REPLAYED,
    SYNC_FLUSHED,
    SYNC_POSITION,
    UNKNOWN_POSITION,
)
from tidings_postgres.rows import decode_event
from tidings_postgres.statements import Statements

if TYPE_CHECKING:
    from tidings_postgres.async_adapter import AsyncPostgresAdapter

__all__ = ["PostgresAdapter", "PostgresProjectionStorage", "fetch"]

Send = Callable[[Statement], Rows]
SendAll = Callable[[Sequence[Statement]], None]
Transact = Callable[[Plan[bool]], bool]


def fetch(conn: Connection, statement: Statement) -> Rows:
    """Send one statement; its rows, or none for a statement that returns none."""
    started = statement_started()
    cursor = conn.execute(statement.sql, statement.params, binary=statement.binary)
    rows = cursor.fetchall() if returns_rows(cursor.pgresult) else []
    statement_done(statement, started, len(rows))
    return rows


def send(conn: Connection, effect: Statement | Copy) -> Rows:
    """Send a statement, or stream the rows of a bulk load's ``COPY``."""
    if not isinstance(effect, Copy):
        return fetch(conn, effect)
    with conn.cursor().copy(effect.sql) as copy:
        copy.set_types(effect.types)
        for row in effect.rows:
            copy.write_row(row)
    return []


def durable(conn: Connection) -> bool:
    """Whether every commit visible on ``conn``'s server so far is on a synchronous
    standby (always, without one); waits up to :data:`DURABLE_WAIT` for it."""
    first = (conn.execute(SYNC_POSITION)).fetchone()
    if first is None or first[0] is None:
        return True
    deadline = time.monotonic() + DURABLE_WAIT
    while True:
        row = (conn.execute(SYNC_FLUSHED, {"lsn": first[0]})).fetchone()
        if row is not None and row[0]:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(REPLAY_POLL)


def commit_position(conn: Connection) -> str:
    """The primary's WAL position just after a commit on ``conn``; a replica that has
    replayed up to it sees that commit. If asking fails (the events are stored all the
    same), :data:`UNKNOWN_POSITION`: waiting then uses the primary's position then."""
    try:
        cursor = conn.execute(PRIMARY_POSITION)
        row = cursor.fetchone()
    except psycopg.Error:
        return UNKNOWN_POSITION
    return UNKNOWN_POSITION if row is None else str(row[0])


@contextmanager
def adopted(conn: Connection) -> Iterator[Connection]:
    """A connection of the application's pool, made fit for the adapter's plans while
    inside: in autocommit (the plans send their own BEGIN and COMMIT) and able to send
    the adapter's typed arrays; its autocommit setting is restored on the way out."""
    for array_type, dumper in ARRAY_TYPES:
        conn.adapters.register_dumper(array_type, dumper)
    was = conn.autocommit
    if not was:
        conn.set_autocommit(True)
    try:
        yield conn
    finally:
        if not was and not conn.closed:
            with suppress(psycopg.Error):  # a broken connection is discarded anyway
                conn.set_autocommit(False)


class PostgresAdapter(StorageAdapter):
    """Events in one PostgreSQL schema, shared safely by many threads, tasks and
    processes. The schema is created, and the pool opened, on first use (the sync face
    does both when it opens, so a server that is down fails ``connect``)."""

    scheme = "postgresql"
    capabilities = frozenset(
        {
            Capability.PERSISTENT,
            Capability.MULTI_PROCESS,
            Capability.ORDERING_LEVELS,
            Capability.PROJECTION_STORAGE,
            Capability.COMPARE_AND_SET,
            Capability.NATIVE_ASYNC,
            Capability.BULK_LOAD,
            Capability.READ_ONLY,
        }
    )
    options_type = PostgresOptions
    drivers = frozenset({"psycopg"})

    def __init__(
        self,
        server: Server,
        options: PostgresOptions,
        pool: ConnectionPool[Connection] | None = None,
    ) -> None:
        self._server = server
        self.options = options
        self._statements = Statements.for_schema(options.schema)
        self._level = options.ordering.value
        self.pool = server.pool() if pool is None else pool
        self._owns_pool = pool is None
        """False for the application's own pool (see :mod:`tidings_postgres.external`),
        which the adapter neither opens nor closes."""
        self._replica = server.replica()
        self.read_pool = None if self._replica is None else self._replica.pool()
        """The pool of ``read_url`` (see :mod:`tidings_postgres.replicas`), if any."""
        self._schema_lsn: str | None = None
        """With ``read_url``, until the first read there: see :meth:`_await_replica_schema`."""
        self.last_commit_lsn: str | None = None
        """With ``read_url``: the primary's WAL position after this store's last publish,
        which :meth:`wait_for_replica` waits for."""
        self._watchdog = Watchdog(options.operation_timeout)
        self._ready = False
        self._closed = False
        self._opening = threading.Lock()
        self._channel = channel_for(options.schema)
        self._listener = CommitListener(server, self._channel)
        self._projections = PostgresProjectionStorage(
            options.schema, self._read, self._write, self._write_all, self._transact
        )

    @classmethod
    def from_url(cls, url: URL, options: PostgresOptions) -> Self:
        """Open the adapter for a config string; the password reaches only libpq."""
        adapter = cls(Server(url, options), options)
        adapter._open_pool()
        return adapter  # noqa: RET504 - the sync face opens it first

    @classmethod
    def open_async(cls, url: URL, options: PostgresOptions) -> AsyncPostgresAdapter:
        """The native async face, on psycopg's ``AsyncConnectionPool``."""
        from tidings_postgres.async_adapter import AsyncPostgresAdapter

        return AsyncPostgresAdapter.from_url(url, options)

    @property
    def ordering(self) -> Ordering:
        return self.options.ordering

    def initialise(self) -> None:
        """Create the schema unless it exists; safe when several processes start at once."""
        self._create_or_migrate()

    def _create_or_migrate(self) -> bool:
        """:meth:`initialise`; True if the schema was new or older, and so may not be on
        a standby yet (then the first read there waits: :meth:`_await_replica_schema`)."""
        self._refuse_in_read_only("create or upgrade the schema of")
        action = f"create schema {self.options.schema!r} on"
        with self._setup_connection(action) as conn:
            with failures(self._server, action), self._watchdog.watch(conn):
                changed = run(schema_plan(self.options.schema), partial(fetch, conn))
                if changed and self.read_pool is not None:
                    position = commit_position(conn)
                    self._schema_lsn = None if position == UNKNOWN_POSITION else position
                return changed

    @contextmanager
    def _setup_connection(self, action: str) -> Iterator[Connection]:
        """A connection for schema work: a new one of the adapter's own, or one borrowed
        from the application's pool (which may be the only way to reach the server)."""
        if self._owns_pool:
            with self._server.connect() as conn:
                yield conn
            return
        with failures(self._server, action):
            conn = self.pool.getconn()
        try:
            with adopted(conn):
                yield conn
        finally:
            self.pool.putconn(conn)

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        channel = self._channel if self.options.notify else None
        plan = publish_plan(
            self._statements, self._level, batches, self._server.description, channel
        )
        return run(plan, self._attempt)

    def _attempt(self, attempt: Plan[Outcome]) -> Outcome:
        with self._connection("publish to", sends=True) as conn:
            outcome = run(attempt, partial(fetch, conn))
            notified = isinstance(outcome, Notified)  # in its statement (see publishing)
            if self.read_pool is not None and isinstance(outcome, list):
                self.last_commit_lsn = commit_position(conn)
            if self.options.notify and isinstance(outcome, list) and any(outcome) and not notified:
                # After the commit, in a statement of its own (see notifications).
                # The events are stored whatever happens to it: never fail the publish.
                with suppress(psycopg.Error):
                    conn.execute(notify_statement, [self._channel])
            return outcome

    def scan(self, request: ScanRequest) -> Iterator[StoredEvent]:
        pages = Driver(scan_plan(self._statements, request, self.options.page_size))
        for page in pages:
            pages.reply = rows = self._read(page, replica=True)
            yield from map(decode_event, rows)

    def latest(self, target: Identifier) -> StoredEvent | None:
        statement = latest_statement(self._statements, target)
        return latest_event(self._read(statement, replica=True))

    def follow(self, request: FollowRequest) -> FollowPage:
        """A stream is followed by sequence number, which its writers (serialised per
        stream at every level) commit in order; the log and categories are followed in
        commit order, below the commit horizon (schema version 3)."""
        if isinstance(request.target, StreamIdentifier):
            return super().follow(request)
        statement = follow_statement(self._statements, request)
        page = follow_page(self._read_durable(statement))
        if page.entries:
            return page
        pending = follow_statement(self._statements, request, pending=True)
        waiting = self._read(pending, replica=True)
        return FollowPage(pending=bool(waiting[0][0]))

    def head(self, target: Identifier) -> Checkpoint | None:
        """After the last committed event in commit order, once every older transaction
        has ended (see :func:`~tidings_postgres.reading.settled_head`)."""
        if isinstance(target, StreamIdentifier):
            return super().head(target)
        statement = head_statement(self._statements, target)
        deadline = time.monotonic() + HEAD_WAIT
        while True:
            final = time.monotonic() >= deadline
            end = settled_head(self._read(statement, replica=True), final=final)
            if end is not None:
                return end
            time.sleep(HEAD_POLL)

    def wait_for_change(self, timeout: float) -> None:
        """Wait for a ``NOTIFY`` from a publish, polling at least every ``timeout``."""
        if not self._closed:
            self._listener.wait(timeout)

    def wait_for_replica(self, timeout: float, lsn: str | None = None) -> None:
        """Return once the ``read_url`` server has replayed ``lsn`` (by default, this
        store's last publish), so that reads there see it; raise
        :class:`~tidings.StorageError` after ``timeout`` seconds. Without ``read_url``,
        or before any publish, there is nothing to wait for."""
        target = lsn if lsn is not None else self.last_commit_lsn
        if self.read_pool is None or target is None:
            return
        if target == UNKNOWN_POSITION:
            rows = self._read(Statement(PRIMARY_POSITION, {}))
            target = str(rows[0][0])
        self._await_replay(target, timeout)

    def _await_replica_schema(self) -> None:
        """Before the first read on the ``read_url`` server after this store created or
        migrated the schema, wait until that server has replayed it: else the first read
        of a new store there (a subscriber's first page) could find no table. Once, and
        for ``connect_timeout`` at most: a standby that lags by design (a delayed
        replica) then serves older data, as ``read_url`` allows, or says what is missing."""
        target, self._schema_lsn = self._schema_lsn, None
        if target is not None:  # a second caller meanwhile has nothing left to wait for
            with suppress(StorageError):
                self._await_replay(target, self.options.connect_timeout, direct=True)

    def _await_replay(self, target: str, timeout: float, *, direct: bool = False) -> None:
        """Poll the ``read_url`` server until it has replayed ``target``; with
        ``direct``, on its pool rather than through :meth:`_read`."""
        deadline = time.monotonic() + timeout
        check = Statement(REPLAYED, {"lsn": target})
        while not (self._replayed(check, direct=direct)):
            if time.monotonic() >= deadline:
                where = self._replica.description if self._replica else "the replica"
                raise StorageError(
                    f"PostgreSQL at {where} did not replay WAL position {target} within "
                    f"{timeout:g}s (a lagging or disconnected standby); read from the "
                    "primary, or wait longer"
                )
            time.sleep(REPLAY_POLL)

    def _replayed(self, check: Statement, *, direct: bool) -> bool:
        if not direct:
            return bool((self._read(check, replica=True))[0][0])
        assert self.read_pool is not None
        assert self._replica is not None
        with failures(self._replica, "read from"):
            with self.read_pool.connection() as conn:
                with self._watchdog.watch(conn):
                    return bool((fetch(conn, check))[0][0])

    def projections(self) -> PostgresProjectionStorage:
        return self._projections

    def bulk_load(self, events: Sequence[StoredEvent]) -> None:
        """``COPY`` in one transaction under the log-level lock (:mod:`~tidings_postgres.bulk`)."""
        plan = bulk_load_plan(BulkStatements.for_schema(self.options.schema), events)
        with self._connection("bulk-load into") as conn:
            run(plan, partial(send, conn))

    def statistics(self) -> StoreStatistics:
        return run(statistics_plan(self.options.schema), self._read)

    def _refuse_in_read_only(self, action: str) -> None:
        if self.options.mode == "ro":
            raise UnsupportedCapabilityError(
                f"cannot {action} a read-only PostgreSQL store (mode=ro); open it without "
                "mode=ro to write"
            )

    def _read(self, statement: Statement, *, replica: bool = False) -> Rows:
        """One query; a connection the server dropped while pooled is replaced once,
        which is safe because reading twice changes nothing. With ``replica``, on the
        ``read_url`` server when there is one."""
        for retry in (True, False):
            with self._connection("read from", retry=retry, replica=replica) as conn:
                return fetch(conn, statement)
        raise AssertionError("unreachable: the second attempt raises")

    def _read_durable(self, statement: Statement) -> Rows:
        """A subscription's page, delivered only once it is durable: on a primary with
        synchronous standbys, a commit can become visible there before a standby has it
        (a backend whose wait for the standby ends because the server is shutting down
        or crashing commits locally), and a failover then loses it. So the page waits,
        on the same connection, until a synchronous standby has flushed the primary's
        WAL as far as it reached after the read; if that takes longer than
        :data:`~tidings_postgres.replicas.DURABLE_WAIT`, the page is dropped and read
        again on the next poll. Elsewhere (no synchronous standby, or a standby) the
        first check says so and costs one short round trip."""
        for retry in (True, False):
            with self._connection("read from", retry=retry, replica=True) as conn:
                rows = fetch(conn, statement)
                if rows and not durable(conn):
                    return []
                return rows
        raise AssertionError("unreachable: the second attempt raises")

    def _write_all(self, statements: Sequence[Statement]) -> None:
        """Several statements in one transaction, sent once: all or none."""
        with self._connection("save projections to") as conn:
            run(in_transaction(each(statements)), partial(fetch, conn))

    def _transact(self, plan: Plan[bool]) -> bool:
        """A plan in one transaction, sent once: all or none."""
        with self._connection("save projections to") as conn:
            return run(in_transaction(plan), partial(fetch, conn))

    def _write(self, statement: Statement) -> Rows:
        """A projection's upsert, sent once."""
        with self._connection("save a projection to") as conn:
            return fetch(conn, statement)

    @contextmanager
    def _connection(
        self, action: str, *, retry: bool = False, sends: bool = False, replica: bool = False
    ) -> Iterator[Connection]:
        """A pooled connection for one call, under the ``operation_timeout`` deadline.

        With ``retry``, a connection lost while in use is swallowed (see
        :func:`~tidings_postgres.connection.failures`), so the caller's loop tries again.
        Getting a connection is outside that: it already waited ``connect_timeout``, and
        an error swallowed before the ``yield`` would leave this context nothing to give.
        With ``sends`` (a publish), a connection lost while in use leaves the outcome
        unknown: :class:`~tidings.OutcomeUnknownError`. One lost while getting it is not:
        nothing was sent. With ``replica``, from the ``read_url`` pool if there is one.
        """
        if action != "read from":
            self._refuse_in_read_only(action)
        pool = self._open_pool()
        server = self._server
        if replica and self.read_pool is not None and self._replica is not None:
            if self._schema_lsn is not None:
                self._await_replica_schema()
            pool, server = self.read_pool, self._replica
        with failures(server, action):
            conn = pool.getconn()
        try:
            with failures(server, action, retry=retry, sends=sends):
                try:
                    with self._watchdog.watch(conn):
                        if self._owns_pool:
                            yield conn
                        else:
                            with adopted(conn):
                                yield conn
                except psycopg.OperationalError:
                    # The server may have dropped other pooled connections too (a restart,
                    # a failover): discard them now so that the next call gets a live one.
                    # Not after a deadline: the peer is silent, and checking would hang.
                    with suppress(psycopg.Error):
                        pool.check()
                    raise
        finally:
            pool.putconn(conn)

    def _open_pool(self) -> ConnectionPool[Connection]:
        if not self._ready:
            with self._opening:
                if not self._ready and not self._closed:
                    self._check_or_create_schema()
                    if self._owns_pool:
                        self.pool.open(wait=False)
                    if self.read_pool is not None:
                        self.read_pool.open(wait=False)
                    self._ready = True
        if self._closed:
            raise StoreClosedError("the PostgreSQL store is closed")
        return self.pool

    def _check_or_create_schema(self) -> None:
        """Create or migrate the schema; in read-only mode only check that it is current."""
        if self.options.mode != "ro":
            self._create_or_migrate()
            return
        plan = existing_schema_plan(self.options.schema, self._server.description)
        with self._setup_connection("inspect") as conn:
            with failures(self._server, "inspect"), self._watchdog.watch(conn):
                run(plan, partial(fetch, conn))

    def close(self) -> None:
        """Close the pool (unless it is the application's); idempotent."""
        self._closed = True
        self._listener.close()
        if self._owns_pool:
            self.pool.close()
        if self.read_pool is not None:
            self.read_pool.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self._server.description!r}, "
            f"schema={self.options.schema!r}, ordering={self.options.ordering.value!r})"
        )


class PostgresProjectionStorage(ProjectionStorage):
    """Projections in the ``projections`` table of one schema, sent as the
    :class:`~tidings_postgres.projections.ProjectionStatements` build them; ``read`` may
    retry on a dropped connection, ``write`` does not."""

    def __init__(
        self, schema: str, read: Send, write: Send, write_all: SendAll, transact: Transact
    ) -> None:
        self.statements = ProjectionStatements(schema)
        self._read = read
        self._write = write
        self._write_all = write_all
        self._transact = transact

    def save(self, projection: Projection) -> None:
        self._write(self.statements.save(projection))

    def load(self, name: str, id: str) -> Projection | None:
        return one(self._read(self.statements.load(name, id)))

    def locate(self, name: str, source: Identifier) -> Projection | None:
        return one(self._read(self.statements.locate(name, source)))

    def search(self, query: Query) -> list[Projection]:
        return many(self._read(self.statements.search(query)))

    def save_all(self, projections: Sequence[Projection]) -> None:
        self._write_all([self.statements.save(projection) for projection in projections])

    def save_all_if(
        self, projections: Sequence[Projection], expected: Sequence[ExpectedRow]
    ) -> bool:
        return self._transact(self.statements.save_all_if(projections, expected))

    def count(self, query: Query) -> int:
        return count_of(self._read(self.statements.count(query)))
