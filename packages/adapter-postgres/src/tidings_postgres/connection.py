"""Connections: libpq parameters from a config string, the pool, deadlines, and error
translation.

The password goes to libpq and nowhere else: descriptions of the server, ``repr`` and
every error message are built from the host, port, database and user only.

A peer can fall silent in two ways. When the network drops packets, the kernel notices:
TCP keepalives probe an idle connection and ``tcp_user_timeout`` caps how long sent data
may go unacknowledged, so libpq sees the connection fail. When the peer's TCP stack
still answers but nothing comes back (a hung proxy or server), no socket setting can
tell, and no server-side timeout helps either, since the server may never have seen the
query. Only a client-side deadline bounds that call: the watchdogs below shut the
socket down when ``operation_timeout`` passes, which wakes whatever waits on it, on
either face. The connection is then broken, so the pool discards it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import replace
from functools import cache
from types import TracebackType
from typing import Any, NoReturn

import psycopg
from psycopg import errors as pg_errors
from psycopg import pq
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout

from tidings.adapters import (
    URL,
    ConfigurationError,
    OutcomeUnknownError,
    StorageError,
    StoreBusyError,
)
from tidings_postgres.arrays import ADAPTERS
from tidings_postgres.options import PostgresOptions

__all__ = [
    "AsyncConnection",
    "AsyncWatchdog",
    "Connection",
    "Server",
    "Unanswered",
    "Watchdog",
    "failures",
    "translate_error",
]

Connection = psycopg.Connection[tuple[Any, ...]]
AsyncConnection = psycopg.AsyncConnection[tuple[Any, ...]]

_SESSION_SETTINGS = ("TimeZone=UTC", "default_transaction_isolation=read\\ committed")


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


@cache
def _libpq_keywords() -> frozenset[str]:
    """The connection parameters the libpq loaded in this process understands."""
    return frozenset(option.keyword.decode() for option in pq.Conninfo.get_defaults())


def _libpq_version() -> str:
    version = pq.version()
    return f"{version // 10000}.{version % 10000}"


class Server:
    """Where to connect and how: libpq parameters plus a password-free description."""

    def __init__(self, url: URL, options: PostgresOptions) -> None:
        if url.path.count("/") > 1:
            # The URL is not shown: a '/' in a password that was not percent-encoded
            # splits it here, and would put the rest of the password into the path.
            raise ConfigurationError(
                "the path of a postgresql:// config string must be the database name "
                "alone, as in postgresql://host/db; percent-encode a '/' in a password "
                "or database name as %2F"
            )
        self.hosts = _hosts(url)
        """Each (host, port) to try, in order: several for a libpq host list."""
        self.host, self.port = self.hosts[0]
        self.database = url.database
        self.user = url.username
        self.options = options
        settings = [f"-c {setting}" for setting in _SESSION_SETTINGS]
        if options.statement_timeout is not None:
            settings.append(f"-c statement_timeout={_milliseconds(options.statement_timeout)}")
        if options.lock_timeout is not None:
            settings.append(f"-c lock_timeout={_milliseconds(options.lock_timeout)}")
        passed = options.libpq_settings()
        if "options" in passed:  # the caller's first, so that the adapter's own win
            settings.insert(0, passed.pop("options"))
        user_timeout = options.tcp_user_timeout
        listed = len(self.hosts) > 1
        self._parameters: dict[str, Any] = {
            **passed,
            "host": ",".join(host for host, _ in self.hosts) if listed else url.host,
            "port": ",".join(str(port) for _, port in self.hosts) if listed else url.port,
            "dbname": url.database,
            "user": url.username,
            "password": url.password,
            "connect_timeout": max(1, round(options.connect_timeout)),
            "application_name": options.application_name,
            "keepalives": int(options.keepalives),
            "keepalives_idle": options.keepalives_idle,
            "keepalives_interval": options.keepalives_interval,
            "keepalives_count": options.keepalives_count,
            "tcp_user_timeout": None if user_timeout is None else _milliseconds(user_timeout),
            "options": " ".join(settings),
        }
        unknown = sorted(
            key
            for key, value in self._parameters.items()
            if value is not None and key not in _libpq_keywords()
        )
        if unknown:
            raise ConfigurationError(
                f"option(s) {', '.join(unknown)} of postgresql:// are not supported by the "
                f"libpq this process loaded (version {_libpq_version()}); upgrade libpq "
                "(or psycopg[binary], which bundles it), or leave them out"
            )

    def replica(self) -> Server | None:
        """The server of ``read_url``, with this one's options; None without one."""
        read_url = self.options.read_url
        if read_url is None:
            return None
        url = URL.parse(read_url)
        attrs = url.query.get("target_session_attrs")
        return Server(url, replace(self.options, read_url=None, target_session_attrs=attrs))

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any], options: PostgresOptions) -> Server:
        """The server of a connection or pool the application made, from its libpq
        parameters (host, port, database, user, password): to describe it in errors, and
        for the subscribers' wake-up connection."""
        hosts = str(parameters.get("host") or "").split(",")
        ports = str(parameters.get("port") or "").split(",")
        if len(ports) < len(hosts):
            ports = ports * len(hosts) if len(ports) == 1 else [""] * len(hosts)
        listed = [
            f"[{host}]" if ":" in host else host for host in hosts if host and "/" not in host
        ]
        host = None
        port = None
        if len(listed) > 1:
            host = ",".join(f"{name}:{number or 5432}" for name, number in zip(listed, ports))
        elif listed:
            host, port = listed[0], int(ports[0]) if ports[0] else None
        url = URL(
            scheme="postgresql",
            username=parameters.get("user") or None,
            password=parameters.get("password") or None,
            host=host,
            port=port,
            path=f"/{parameters['dbname']}" if parameters.get("dbname") else "",
        )
        return cls(url, options)

    @property
    def description(self) -> str:
        """``user@host:port/database``, never with the password."""
        user = f"{self.user}@" if self.user else ""
        hosts = ",".join(f"{host}:{port}" for host, port in self.hosts)
        return f"{user}{hosts}/{self.database or ''}"

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


def _hosts(url: URL) -> list[tuple[str, int]]:
    """The (host, port) pairs of ``url``: one, or each of a libpq host list
    ``h1:5432,h2:5433,h3`` (a port left out is 5432), in the order libpq tries them."""
    if not url.host or "," not in url.host:
        return [(url.host or "localhost", url.port or 5432)]
    pairs = []
    for entry in url.host.split(","):
        if entry.startswith("["):
            address, _, port = entry[1:].partition("]")
            port = port.removeprefix(":")
        else:
            address, _, port = entry.partition(":")
        pairs.append((address, int(port) if port else 5432))
    return pairs


class Unanswered(Exception):
    """The server gave no answer within ``operation_timeout``, so the watchdog shut the
    connection down; :func:`failures` turns this into a :class:`StorageError`."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"no answer within operation_timeout={timeout:g}s")
        self.timeout = timeout


def _shut_down(fd: int) -> None:
    """End both directions of the socket ``fd`` as if the peer had closed it, which wakes
    any thread or event loop waiting on it; libpq then fails the call. The descriptor
    itself stays open, owned by libpq, so it cannot be reused by another socket meanwhile:
    only a duplicate is closed here. (Closing the connection from here instead would free
    the descriptor under a thread that is still polling it.)"""
    try:
        copy = os.dup(fd)
    except OSError:
        return  # libpq closed it already: nothing waits on it
    try:
        duplicate = socket.socket(fileno=copy)
    except OSError:
        os.close(copy)
        return
    # An OSError means the peer closed it already, and the waiter is awake anyway.
    with duplicate, suppress(OSError):
        duplicate.shutdown(socket.SHUT_RDWR)


class _Watch:
    """A deadline on one connection, armed while inside ``with``.

    When it passes, :meth:`fire` shuts the socket down. An error the call then raises
    is replaced by :class:`Unanswered`, chained to it; and the connection is closed on
    the way out in any case, so that the pool discards it even if the call had already
    finished its last round trip when the deadline fired.
    """

    __slots__ = ("conn", "finished", "fired", "timeout")

    def __init__(self, conn: Connection | AsyncConnection, timeout: float) -> None:
        self.conn = conn
        self.timeout = timeout
        self.fired = False
        self.finished = False

    def fire(self) -> None:
        """Shut the socket down, unless the calls are over (the caller serialises this
        with :meth:`_disarm`)."""
        if not self.finished and not self.fired:
            self.fired = True
            try:
                fd = self.conn.pgconn.socket
            except psycopg.OperationalError:
                return  # lost already: the call is failing on its own
            _shut_down(fd)

    def _arm(self) -> None:
        raise NotImplementedError

    def _disarm(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Watch:
        self._arm()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._disarm()
        if not self.fired:
            return
        self.conn.pgconn.finish()  # broken anyway: make sure the pool sees it
        if isinstance(error, psycopg.Error):
            raise Unanswered(self.timeout) from error


class _LoopWatch(_Watch):
    """The async face's deadline: a timer on the running event loop, which runs
    :meth:`fire` between steps of the call, so no lock is needed."""

    __slots__ = ("_handle",)

    def _arm(self) -> None:
        self._handle = asyncio.get_running_loop().call_later(self.timeout, self.fire)

    def _disarm(self) -> None:
        self.finished = True
        self._handle.cancel()


class _ThreadWatch(_Watch):
    """The sync face's deadline: a blocked call cannot time itself out, so the shared
    :class:`_Reaper` thread fires it."""

    __slots__ = ()

    def _arm(self) -> None:
        _REAPER.arm(self)

    def _disarm(self) -> None:
        _REAPER.disarm(self)


class _Unwatched:
    """What a watchdog without a timeout hands out: does nothing."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_UNWATCHED = _Unwatched()


class AsyncWatchdog:
    """Deadlines of ``operation_timeout`` for the async face."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout

    def watch(self, conn: AsyncConnection) -> _Watch | _Unwatched:
        """A context that shuts ``conn`` down if the calls inside outlast the timeout."""
        return _UNWATCHED if self.timeout is None else _LoopWatch(conn, self.timeout)


class _Reaper:
    """The one thread per process that fires the sync face's deadlines.

    Deadlines sit in a heap; a finished one is only marked, and dropped when it reaches
    the top, so arming and disarming cost a lock and a heap push. The thread sleeps until
    the earliest deadline, and ends after a while with none, to be started again when
    needed. Firing and disarming take the same lock, so a connection is never shut down
    after its call has finished and it went back to the pool.
    """

    IDLE_SECONDS = 5.0

    def __init__(self) -> None:
        self._ready = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def reset(self) -> None:
        """In a forked child: the parent's thread and lock state do not carry over."""
        self._ready = threading.Condition(threading.Lock())
        self._heap = []
        self._thread = None

    def arm(self, watch: _Watch) -> None:
        deadline = time.monotonic() + watch.timeout
        with self._ready:
            heap = self._heap
            while heap and heap[0][2].finished:
                heapq.heappop(heap)
            heapq.heappush(heap, (deadline, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="tidings-postgres-watchdog", daemon=True
                )
                self._thread.start()
            elif heap[0][2] is watch:
                self._ready.notify()

    def disarm(self, watch: _Watch) -> None:
        with self._ready:
            watch.finished = True

    def _run(self) -> None:
        with self._ready:
            while True:
                heap = self._heap
                while heap and heap[0][2].finished:
                    heapq.heappop(heap)
                if not heap:
                    if not self._ready.wait(self.IDLE_SECONDS) and not self._heap:
                        self._thread = None
                        return
                    continue
                wait = heap[0][0] - time.monotonic()
                if wait > 0:
                    self._ready.wait(wait)
                    continue
                heapq.heappop(heap)[2].fire()


_REAPER = _Reaper()
os.register_at_fork(after_in_child=_REAPER.reset)


class Watchdog:
    """Deadlines of ``operation_timeout`` for the sync face."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout

    def watch(self, conn: Connection) -> _Watch | _Unwatched:
        """A context that shuts ``conn`` down if the calls inside outlast the timeout."""
        return _UNWATCHED if self.timeout is None else _ThreadWatch(conn, self.timeout)


@contextmanager
def failures(
    server: Server, action: str, *, retry: bool = False, sends: bool = False
) -> Iterator[None]:
    """Translate driver errors raised inside; with ``retry``, swallow a lost connection
    instead, so that the caller's loop tries once more. A timeout of any kind is an
    answer, never retried. With ``sends`` (a publish in flight), a lost or silent
    connection raises :class:`~tidings.OutcomeUnknownError`: the server may have
    committed before the connection went."""
    error_type = OutcomeUnknownError if sends else StorageError
    try:
        yield
    except Unanswered as error:
        raise error_type(
            f"could not {action} PostgreSQL at {server.description}: no answer within "
            f"operation_timeout={error.timeout:g}s, so the connection was dropped (the "
            "server or the network to it is unresponsive). A publish may or may not have "
            "been stored: publishing the same events again with the same ids is safe. "
            "Raise operation_timeout if the server is merely slow"
        ) from error.__cause__
    except psycopg.OperationalError as error:
        timed_out = isinstance(error, pg_errors.LockNotAvailable | pg_errors.QueryCanceled)
        if sends and not timed_out and not isinstance(error, PoolTimeout):
            detail = _scrub(str(error).strip(), server)
            raise OutcomeUnknownError(
                f"could not {action} PostgreSQL at {server.description}: the connection "
                f"was lost before the answer came back ({detail}), so the events may or "
                "may not be stored. Publishing the same events again with the same ids "
                "settles it without duplicates (tidings.publish_with_retry does)"
            ) from error
        if not retry or timed_out or isinstance(error, PoolTimeout):
            translate_error(error, server, action)
    except psycopg.Error as error:
        translate_error(error, server, action)


def translate_error(error: BaseException, server: Server, action: str) -> NoReturn:
    """Raise the tidings error for a driver error, chained, with a password-free message."""
    detail = _scrub(str(error).strip(), server)
    where = f"PostgreSQL at {server.description}"
    if isinstance(error, pg_errors.LockNotAvailable | pg_errors.QueryCanceled):
        raise StoreBusyError(f"could not {action} {where} in time: {detail}") from error
    if isinstance(error, PoolTimeout):
        options = server.options
        raise StorageError(
            f"could not {action} {where}: no connection became free within "
            f"connect_timeout={options.connect_timeout:g}s. Either all "
            f"pool_max_size={options.pool_max_size} connections were in use (raise "
            "pool_max_size or connect_timeout), or the server did not accept new "
            f"connections ({detail})"
        ) from error
    raise StorageError(f"could not {action} {where}: {detail}") from error


def _scrub(message: str, server: Server) -> str:
    password = server._parameters.get("password")
    return message.replace(password, "***") if password else message
