"""Connections: libpq parameters from a config string, the pool, and error translation.

The password goes to libpq and nowhere else: descriptions of the server, ``repr`` and
every error message are built from the host, port, database and user only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from tidings.adapters import (
    URL,
    ConfigurationError,
    StorageError,
    StoreBusyError,
)
from tidings_postgres.arrays import ADAPTERS
from tidings_postgres.options import PostgresOptions

__all__ = ["AsyncConnection", "Connection", "Server", "failures", "translate_error"]

Connection = psycopg.Connection[tuple[Any, ...]]
AsyncConnection = psycopg.AsyncConnection[tuple[Any, ...]]

_SESSION_SETTINGS = ("TimeZone=UTC", "default_transaction_isolation=read\\ committed")


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class Server:
    """Where to connect and how: libpq parameters plus a password-free description."""

    def __init__(self, url: URL, options: PostgresOptions) -> None:
        if url.path.count("/") > 1:
            raise ConfigurationError(
                f"{url}: the path must be the database name, as in postgresql://host/db"
            )
        self.host = url.host or "localhost"
        self.port = url.port or 5432
        self.database = url.database
        self.user = url.username
        self.options = options
        settings = list(_SESSION_SETTINGS)
        if options.statement_timeout is not None:
            settings.append(f"statement_timeout={_milliseconds(options.statement_timeout)}")
        if options.lock_timeout is not None:
            settings.append(f"lock_timeout={_milliseconds(options.lock_timeout)}")
        self._parameters: dict[str, Any] = {
            "host": url.host,
            "port": url.port,
            "dbname": url.database,
            "user": url.username,
            "password": url.password,
            "connect_timeout": max(1, round(options.connect_timeout)),
            "application_name": options.application_name,
            "sslmode": options.sslmode,
            "options": " ".join(f"-c {setting}" for setting in settings),
        }

    @property
    def description(self) -> str:
        """``user@host:port/database``, never with the password."""
        user = f"{self.user}@" if self.user else ""
        return f"{user}{self.host}:{self.port}/{self.database or ''}"

    def connect(self) -> Connection:
        """One connection outside the pool, for schema creation; translated errors."""
        with failures(self, "connect to"):
            return psycopg.connect(**self._connection_kwargs(), autocommit=True)

    async def connect_async(self) -> AsyncConnection:
        """The async twin of :meth:`connect`."""
        with failures(self, "connect to"):
            return await psycopg.AsyncConnection.connect(
                **self._connection_kwargs(), autocommit=True
            )

    def pool(self) -> ConnectionPool[Connection]:
        """A pool of autocommit connections; the caller opens it when first needed."""
        return ConnectionPool(**self._pool_kwargs())

    def async_pool(self) -> AsyncConnectionPool[AsyncConnection]:
        """An async pool like :meth:`pool`; the caller opens it, inside the event loop."""
        return AsyncConnectionPool(**self._pool_kwargs())

    def _pool_kwargs(self) -> dict[str, Any]:
        return {
            "kwargs": {**self._connection_kwargs(), "autocommit": True},
            "min_size": self.options.pool_min_size,
            "max_size": self.options.pool_max_size,
            "timeout": self.options.connect_timeout,
            "name": f"tidings {self.description}",
            "open": False,
        }

    def _connection_kwargs(self) -> dict[str, Any]:
        parameters = {key: value for key, value in self._parameters.items() if value is not None}
        return {**parameters, "context": ADAPTERS}

    def __repr__(self) -> str:
        return f"Server({self.description!r})"


@contextmanager
def failures(server: Server, action: str, *, retry: bool = False) -> Iterator[None]:
    """Translate driver errors raised inside; with ``retry``, swallow a lost connection
    instead, so that the caller's loop tries once more."""
    try:
        yield
    except psycopg.OperationalError as error:
        # Only a lost connection is worth one more try; a timeout is an answer.
        timed_out = isinstance(error, pg_errors.LockNotAvailable | pg_errors.QueryCanceled)
        if not retry or timed_out:
            translate_error(error, server, action)
    except psycopg.Error as error:
        translate_error(error, server, action)


def translate_error(error: BaseException, server: Server, action: str) -> NoReturn:
    """Raise the tidings error for a driver error, chained, with a password-free message."""
    detail = _scrub(str(error).strip(), server)
    where = f"PostgreSQL at {server.description}"
    if isinstance(error, pg_errors.LockNotAvailable | pg_errors.QueryCanceled):
        raise StoreBusyError(f"could not {action} {where} in time: {detail}") from error
    raise StorageError(f"could not {action} {where}: {detail}") from error


def _scrub(message: str, server: Server) -> str:
    password = server._parameters.get("password")
    return message.replace(password, "***") if password else message
