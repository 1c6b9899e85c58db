"""A silent peer: calls end in a clear error within ``operation_timeout``, on both faces,
and the store works again afterwards. The socket settings reach the socket.

The peer is :class:`~.proxy.SilentProxy`, which stops forwarding without closing or
resetting anything. Each timing assertion has a lower bound (the call waited the
configured time, so the timeout is what ended it) and a generous upper one (it did not
hang); nothing sleeps.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

import tidings
from postgres_server import SchemaFactory
from tidings import (
    AsyncEventStore,
    EventStore,
    NewEvent,
    StorageError,
    TidingsError,
)
from tidings_postgres import PostgresAdapter
from tidings_postgres.async_adapter import AsyncPostgresAdapter
from tidings_postgres.connection import AsyncWatchdog, Watchdog

from .proxy import SilentProxy

pytestmark = pytest.mark.timeout(60)  # a hang fails here, not after the global 300 s

TIMEOUT = 1.5
"""The ``operation_timeout`` of these tests, in seconds."""
SLACK = 3.0
"""How much later than the timeout a call may end on a loaded machine and still count
as bounded by it."""


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[SilentProxy]:
    with SilentProxy(postgres_url) as running:
        yield running


def _batch(tag: str) -> list[NewEvent]:
    """Events with fixed ids, so that publishing them again is a safe retry."""
    return [NewEvent(name="e", id=f"{tag}-{n}", payload={"n": n}) for n in range(3)]


def _assert_bounded(started: float, error: BaseException) -> None:
    elapsed = time.monotonic() - started
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + SLACK, elapsed
    assert isinstance(error, TidingsError)
    assert "operation_timeout=1.5s" in str(error)
    assert isinstance(error.__cause__, psycopg.OperationalError)


def _call(store: EventStore, call: str) -> object:
    stream = store.stream(category="c", stream="s")
    if call == "publish":
        return stream.publish(events=_batch("late"))
    if call == "read":
        return stream.read()
    if call == "latest":
        return stream.latest()
    return store.projections.load(name="p", id="1")


async def _call_async(store: AsyncEventStore, call: str) -> object:
    stream = store.stream(category="c", stream="s")
    if call == "publish":
        return await stream.publish(events=_batch("late"))
    if call == "read":
        return await stream.read()
    if call == "latest":
        return await stream.latest()
    return await store.projections.load(name="p", id="1")


def _silenced_call(store: EventStore, proxy: SilentProxy, call: str) -> None:
    proxy.silence()
    started = time.monotonic()
    with pytest.raises(StorageError) as caught:
        _call(store, call)
    _assert_bounded(started, caught.value)
    proxy.resume()


@pytest.mark.parametrize("call", ["publish", "read", "latest", "load"])
def test_a_silent_peer_ends_a_call_within_operation_timeout_and_the_store_recovers(
    schemas: SchemaFactory, proxy: SilentProxy, call: str
) -> None:
    url = proxy.url(schemas.name(), operation_timeout=TIMEOUT, connect_timeout=5)
    with tidings.connect(url, pool_max_size=2) as store:
        stream = store.stream(category="c", stream="s")
        before = stream.publish(events=_batch("early"))
        _silenced_call(store, proxy, call)
        # The late batch may or may not have reached the server once the proxy forwarded
        # what it held: publishing it again with the same ids is safe either way.
        late = stream.publish(events=_batch("late"))
        assert stream.read() == before + late
        assert stream.latest() == late[-1]


def test_a_silent_peer_also_bounds_a_store_that_must_open_a_new_connection(
    schemas: SchemaFactory, proxy: SilentProxy
) -> None:
    url = proxy.url(schemas.name(), operation_timeout=TIMEOUT, connect_timeout=2)
    with tidings.connect(url, pool_min_size=0, pool_max_size=1) as store:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=_batch("early"))
        _silenced_call(store, proxy, "publish")
        # The new connection goes through the same proxy, and works now it forwards.
        assert [e.id for e in stream.publish(events=_batch("late"))] == [
            f"late-{n}" for n in range(3)
        ]


def _run_async(url: str, body: Callable[[AsyncEventStore], Any], **options: Any) -> None:
    async def main() -> None:
        async with await tidings.connect_async(url, **options) as store:
            await body(store)

    asyncio.run(main())


@pytest.mark.parametrize("call", ["publish", "read", "latest", "load"])
def test_a_silent_peer_ends_an_async_call_within_operation_timeout_and_the_store_recovers(
    schemas: SchemaFactory, proxy: SilentProxy, call: str
) -> None:
    async def body(store: AsyncEventStore) -> None:
        stream = store.stream(category="c", stream="s")
        before = await stream.publish(events=_batch("early"))
        proxy.silence()
        started = time.monotonic()
        with pytest.raises(StorageError) as caught:
            await _call_async(store, call)
        _assert_bounded(started, caught.value)
        proxy.resume()
        late = await stream.publish(events=_batch("late"))
        assert await stream.read() == before + late

    url = proxy.url(schemas.name(), operation_timeout=TIMEOUT, connect_timeout=5)
    _run_async(url, body, pool_max_size=2)


def test_other_tasks_keep_working_while_one_call_waits_on_a_silent_peer(
    schemas: SchemaFactory, proxy: SilentProxy
) -> None:
    """The async deadline is a timer on the loop, not a blocked thread: the loop stays
    free, and the silent call still ends on time."""
    name = schemas.name()

    async def body(store: AsyncEventStore) -> None:
        await store.stream(category="c", stream="s").publish(events=_batch("early"))
        proxy.silence()
        started = time.monotonic()
        silent = asyncio.create_task(store.log().read())
        ticks = 0
        while not silent.done():
            await asyncio.sleep(0.05)
            ticks += 1
        with pytest.raises(StorageError) as caught:
            await silent
        _assert_bounded(started, caught.value)
        assert ticks >= 10
        proxy.resume()

    _run_async(proxy.url(name, operation_timeout=TIMEOUT), body)


def test_without_operation_timeout_the_watchdog_stays_out_of_the_way(
    schemas: SchemaFactory,
) -> None:
    with tidings.connect(schemas.url()) as store:
        adapter = store.adapter
        assert isinstance(adapter, PostgresAdapter)
        assert adapter.options.operation_timeout is None
        stored = store.stream(category="c", stream="s").publish(events=_batch("a"))
        assert store.log().read() == stored


def _socket_options(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> list[int]:
    """SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT and TCP_USER_TIMEOUT (ms)
    as the kernel holds them for the connection's socket."""
    with socket.socket(fileno=os.dup(conn.pgconn.socket)) as sock:
        return [
            sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            *(
                sock.getsockopt(socket.IPPROTO_TCP, option)
                for option in (
                    socket.TCP_KEEPIDLE,
                    socket.TCP_KEEPINTVL,
                    socket.TCP_KEEPCNT,
                    socket.TCP_USER_TIMEOUT,
                )
            ),
        ]


def _tcp_only(postgres_url: str) -> None:
    host = psycopg.conninfo.conninfo_to_dict(postgres_url).get("host")
    if not isinstance(host, str) or host.startswith("/"):
        pytest.skip("the test server is reached over a Unix socket, which has no TCP options")


def test_the_default_socket_settings_detect_a_dead_peer_within_about_30_seconds(
    schemas: SchemaFactory, postgres_url: str
) -> None:
    _tcp_only(postgres_url)
    with tidings.connect(schemas.url()) as store:
        adapter = store.adapter
        assert isinstance(adapter, PostgresAdapter)
        with adapter.pool.connection() as conn:
            keepalive, idle, interval, count, user_timeout = _socket_options(conn)
    assert keepalive == 1
    assert (idle, interval, count) == (10, 5, 4)
    assert idle + interval * count <= 30
    assert user_timeout == 30_000


def test_socket_settings_are_options(schemas: SchemaFactory, postgres_url: str) -> None:
    _tcp_only(postgres_url)
    url = schemas.url()
    query = "&keepalives_idle=7&keepalives_interval=2&keepalives_count=3&tcp_user_timeout=2.5"
    with tidings.connect(url + query) as store:
        adapter = store.adapter
        assert isinstance(adapter, PostgresAdapter)
        with adapter.pool.connection() as conn:
            assert _socket_options(conn) == [1, 7, 2, 3, 2500]
    with tidings.connect(url, keepalives=False, tcp_user_timeout=None) as store:
        adapter = store.adapter
        assert isinstance(adapter, PostgresAdapter)
        with adapter.pool.connection() as conn:
            keepalive, *_, user_timeout = _socket_options(conn)
            assert (keepalive, user_timeout) == (0, 0)


def test_the_async_face_gets_the_same_socket_settings(
    schemas: SchemaFactory, postgres_url: str
) -> None:
    _tcp_only(postgres_url)

    async def body(store: AsyncEventStore) -> None:
        adapter = store.adapter
        assert isinstance(adapter, AsyncPostgresAdapter)
        await store.log().read()
        async with adapter.pool.connection() as conn:
            assert _socket_options(conn) == [1, 9, 3, 2, 4000]

    url = f"{schemas.url()}&keepalives_idle=9&keepalives_interval=3&keepalives_count=2"
    _run_async(url, body, tcp_user_timeout=4)


def test_a_deadline_that_fires_after_the_last_round_trip_still_retires_the_connection(
    postgres_url: str,
) -> None:
    """The call succeeded, but its socket was shut down: the connection must not go back
    to the pool looking healthy, or the next caller would get a broken one."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        with Watchdog(0.05).watch(conn) as watch:
            assert conn.execute("SELECT 1").fetchone() == (1,)
            for _ in range(500):  # wait for the deadline, a bounded poll
                if getattr(watch, "fired", False):
                    break
                time.sleep(0.01)
            else:
                raise AssertionError("the deadline never fired")
        assert conn.closed


def test_an_async_deadline_that_fires_after_the_last_round_trip_retires_the_connection(
    postgres_url: str,
) -> None:
    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
            with AsyncWatchdog(0.05).watch(conn) as watch:
                await (await conn.execute("SELECT 1")).fetchone()
                for _ in range(500):
                    if getattr(watch, "fired", False):
                        break
                    await asyncio.sleep(0.01)
                else:
                    raise AssertionError("the deadline never fired")
            assert conn.closed

    asyncio.run(main())


def test_a_call_that_ends_in_time_leaves_its_connection_alone(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for _ in range(3):
            with Watchdog(0.5).watch(conn):
                conn.execute("SELECT 1")
        time.sleep(0.6)  # past every deadline armed above
        assert conn.execute("SELECT 2").fetchone() == (2,)
