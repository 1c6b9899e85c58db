"""A store over the application's own psycopg pool, or on its own connection.

An application that already has a pool hands it to :func:`from_pool`: the store borrows
connections from it per call and gives them back, and never opens or closes it, so the
application keeps ownership. :func:`bind` goes further: the store works on one
connection the application holds, inside the transaction it has open, so that its own
rows and the events commit or roll back together (the transactional outbox; see
:mod:`tidings_postgres.async_bound`). Both return the sync face for a sync pool or
connection, and the async face for an async one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, overload

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from tidings.adapters import ConfigurationError, Ordering, UnknownOptionError, store_over
from tidings_postgres.adapter import PostgresAdapter
from tidings_postgres.async_adapter import AsyncPostgresAdapter
from tidings_postgres.async_bound import AsyncBoundPostgresAdapter
from tidings_postgres.bound import BoundPostgresAdapter
from tidings_postgres.connection import Server
from tidings_postgres.options import PostgresOptions

if TYPE_CHECKING:  # the application's types, named in signatures only
    from tidings import AsyncEventStore, EventStore

__all__ = ["OPTIONS", "bind", "from_pool", "wait_for_replica"]

OPTIONS = frozenset({"schema", "ordering", "page_size", "operation_timeout", "notify", "mode"})
"""The options that mean something on a connection the application made; the others
(pool sizes, timeouts and TLS settings of new connections) are the application's."""


def _options(given: dict[str, object]) -> PostgresOptions:
    accepted = sorted(OPTIONS & {field.name for field in dataclasses.fields(PostgresOptions)})
    unknown = set(given) - set(accepted)
    if unknown:
        raise UnknownOptionError("postgresql", unknown, accepted)
    ordering = given.get("ordering")
    if isinstance(ordering, str):
        try:
            given = {**given, "ordering": Ordering(ordering)}
        except ValueError:
            choices = ", ".join(level.value for level in Ordering)
            raise ConfigurationError(
                f"option 'ordering' must be one of {choices}, got {ordering!r}"
            ) from None
    return PostgresOptions(**given)  # type: ignore[arg-type]


@overload
def from_pool(pool: AsyncConnectionPool[Any], **options: object) -> AsyncEventStore: ...
@overload
def from_pool(pool: ConnectionPool[Any], **options: object) -> EventStore: ...
def from_pool(
    pool: ConnectionPool[Any] | AsyncConnectionPool[Any], **options: object
) -> EventStore | AsyncEventStore:
    """A store that borrows connections from ``pool`` for each call.

    Closing the store leaves the pool open: it is the application's. Each borrowed
    connection is put in autocommit while the store uses it (and set back after), so
    the pool may hold connections in either mode. The sync face checks the schema (and
    creates it) now, so the pool must be open; the async face does on first use.
    """
    if not isinstance(pool, ConnectionPool | AsyncConnectionPool):
        raise ConfigurationError(
            "from_pool needs a psycopg_pool ConnectionPool or AsyncConnectionPool, "
            f"got {type(pool).__name__}"
        )
    typed = _options(options)
    # A pool may compute its conninfo or kwargs per connection: then the description
    # (and the subscribers' wake-up connection) has only what libpq's defaults give.
    conninfo = pool.conninfo if isinstance(pool.conninfo, str) else ""
    kwargs = pool.kwargs if isinstance(pool.kwargs, dict) else {}
    server = Server.from_parameters(conninfo_to_dict(conninfo, **kwargs), typed)
    if isinstance(pool, AsyncConnectionPool):
        return store_over(AsyncPostgresAdapter(server, typed, pool))
    adapter = PostgresAdapter(server, typed, pool)
    adapter._open_pool()
    return store_over(adapter)


@overload
def bind(conn: psycopg.AsyncConnection[Any], **options: object) -> AsyncEventStore: ...
@overload
def bind(conn: psycopg.Connection[Any], **options: object) -> EventStore: ...
def bind(
    conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any], **options: object
) -> EventStore | AsyncEventStore:
    """A store that works on ``conn``, inside the transaction it has open.

    Publish after your own writes and before your commit: both commit together, or
    neither does. The ordering lock is held until you commit (other writers at the same
    level wait until then). Without an open transaction (an autocommit connection), each
    call commits at once. The schema must exist or is created in your transaction.
    Closing the store leaves the connection open.
    """
    if not isinstance(conn, psycopg.Connection | psycopg.AsyncConnection):
        raise ConfigurationError(
            f"bind needs a psycopg Connection or AsyncConnection, got {type(conn).__name__}"
        )
    typed = _options(options)
    parameters = {
        "host": conn.info.host,
        "port": conn.info.port,
        "dbname": conn.info.dbname,
        "user": conn.info.user,
        "password": conn.info.password,
    }
    server = Server.from_parameters(parameters, typed)
    if isinstance(conn, psycopg.AsyncConnection):
        return store_over(AsyncBoundPostgresAdapter(conn, server, typed))
    return store_over(BoundPostgresAdapter(conn, server, typed))


@overload
def wait_for_replica(
    store: AsyncEventStore, timeout: float = 5.0, *, lsn: str | None = None
) -> Awaitable[None]: ...
@overload
def wait_for_replica(
    store: EventStore, timeout: float = 5.0, *, lsn: str | None = None
) -> None: ...
def wait_for_replica(
    store: EventStore | AsyncEventStore, timeout: float = 5.0, *, lsn: str | None = None
) -> Awaitable[None] | None:
    """Wait until the store's ``read_url`` server has replayed its last publish (or
    ``lsn``), so that scans and subscriptions there see it: read-your-writes. Raises
    :class:`~tidings.StorageError` after ``timeout`` seconds. Await it on the async
    face. Without ``read_url`` it returns at once."""
    adapter = store.adapter
    if isinstance(adapter, AsyncPostgresAdapter):
        return adapter.wait_for_replica(timeout, lsn)
    if isinstance(adapter, PostgresAdapter):
        adapter.wait_for_replica(timeout, lsn)
        return None
    raise ConfigurationError(
        f"wait_for_replica needs a PostgreSQL store, got one on {type(adapter).__name__}"
    )
