"""The native async face on a real server: contention, tailing, cancellation, faults.

The conformance suite also runs through this face (tests/conformance/test_postgres.py),
and so do the async face's own tests (tests/async_face), imported here with a PostgreSQL
``run_with_store``; the tests below cover what needs the server itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import aclosing, contextmanager
from typing import Any

import psycopg
import pytest
from psycopg_pool import PoolTimeout

import tidings
from async_face.test_async_face import (
    test_a_tailing_reader_task_sees_every_event_once_in_order,
    test_an_abandoned_iteration_releases_its_scan,
    test_fifty_retrying_tasks_leave_contiguous_positions,
    test_fifty_tasks_contending_for_one_stream_exactly_one_wins,
    test_projections_are_awaitable,
    test_the_async_api_mirrors_the_sync_one,
)
from postgres_server import SchemaFactory
from tidings import (
    AsyncEventStore,
    Capability,
    NewEvent,
    StorageError,
    StoreBusyError,
    StoreClosedError,
    StoredEvent,
    WriteCondition,
)
from tidings_postgres.async_adapter import AsyncPostgresAdapter

from .support import wait_until

__all__ = [  # the async face's own tests, run here against PostgreSQL
    "test_a_tailing_reader_task_sees_every_event_once_in_order",
    "test_an_abandoned_iteration_releases_its_scan",
    "test_fifty_retrying_tasks_leave_contiguous_positions",
    "test_fifty_tasks_contending_for_one_stream_exactly_one_wins",
    "test_projections_are_awaitable",
    "test_the_async_api_mirrors_the_sync_one",
]

Body = Callable[[AsyncEventStore], Awaitable[None]]
Connection = psycopg.Connection[tuple[Any, ...]]
PASSWORD = "s3cret-Pa55word"
BLOCKED = "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))"
"""The backend waiting for a lock the given backend holds: only this test's writer."""


@contextmanager
def _lock_held(schemas: SchemaFactory, name: str) -> Iterator[tuple[Connection, Connection]]:
    """An admin connection, and a holder of the log-level ordering lock of ``name``."""
    with schemas.connect() as admin, schemas.connect() as holder:
        holder.execute("BEGIN")
        holder.execute(f'SELECT "{name}".take_locks(%s, %s, %s)', ["log", "c", ["s"]])
        yield admin, holder
        holder.execute("ROLLBACK")


async def _blocked_writer(admin: Connection, holder: Connection) -> int:
    """The pid of the writer once its statement waits on the server for the lock."""
    pid: int = await asyncio.to_thread(wait_until, admin, BLOCKED, holder.info.backend_pid)
    return pid


def _run(url: str, body: Body, **options: Any) -> None:
    async def main() -> None:
        async with await tidings.connect_async(url, **options) as store:
            await body(store)

    asyncio.run(main())


@pytest.fixture
def run_with_store(schemas: SchemaFactory) -> Callable[[Body], None]:
    """What tests/async_face's tests run their bodies with: here, native PostgreSQL."""
    url = schemas.url()
    return lambda body: _run(url, body)


def _events(count: int, **payload: Any) -> list[NewEvent]:
    return [NewEvent(name="e", payload={"i": i, **payload}) for i in range(count)]


def _adapter(store: AsyncEventStore) -> AsyncPostgresAdapter:
    adapter = store.adapter
    assert isinstance(adapter, AsyncPostgresAdapter)
    return adapter


async def _pool_settles(store: AsyncEventStore) -> dict[str, int]:
    """The pool's stats once every connection is back (a bounded wait, not a timing)."""
    pool = _adapter(store).pool
    for _ in range(600):
        stats = pool.get_stats()
        if stats["pool_available"] == stats["pool_size"] >= stats["pool_min"]:
            return stats
        await asyncio.sleep(0.05)
    raise AssertionError(f"connections never came back to the pool: {pool.get_stats()}")


class _Always(WriteCondition):
    """A custom condition, so the publish takes the general path (a transaction)."""

    def holds_for(self, last_event: StoredEvent | None) -> bool:
        return True

    def describe(self) -> str:
        return "always"


def test_postgres_is_natively_async(schemas: SchemaFactory) -> None:
    async def body(store: AsyncEventStore) -> None:
        assert Capability.NATIVE_ASYNC in store.capabilities
        stream = store.stream(category="c", stream="s")
        stored = await stream.publish(events=_events(2))
        assert await stream.read() == stored
        assert await stream.latest() == stored[-1]
        assert "s3cret" not in repr(_adapter(store))

    _run(schemas.url(), body)


@pytest.mark.parametrize("ordering", ["log", "category"])
def test_tailing_readers_never_miss_an_event_while_tasks_write(
    schemas: SchemaFactory, ordering: str
) -> None:
    async def body(store: AsyncEventStore) -> None:
        scope = store.log() if ordering == "log" else store.category(category="c")
        done = asyncio.Event()

        async def write(task: int) -> None:
            for round in range(8):
                await store.stream(category="c", stream=f"s{task}").publish(
                    events=_events(1 + round % 3, task=task)
                )

        async def tail() -> list[StoredEvent]:
            seen: list[StoredEvent] = []
            while True:
                finished = done.is_set()
                after = seen[-1].sequence_number if seen else None
                seen.extend(await scope.read(after=after))
                if finished:
                    return seen

        readers = [asyncio.create_task(tail()) for _ in range(3)]
        await asyncio.gather(*(write(t) for t in range(12)))
        done.set()
        everything = await scope.read()
        assert len(everything) == 12 * (1 + 2 + 3 + 1 + 2 + 3 + 1 + 2)
        for seen in await asyncio.gather(*readers):
            assert seen == everything

    _run(schemas.url(), body, ordering=ordering, pool_max_size=6)


@pytest.mark.parametrize("condition", [None, _Always()], ids=["fast-path", "general-path"])
def test_a_publish_cancelled_while_waiting_for_the_lock_writes_nothing(
    schemas: SchemaFactory, condition: WriteCondition | None
) -> None:
    name = schemas.name()

    async def body(store: AsyncEventStore) -> None:
        stream = store.stream(category="c", stream="s")
        await stream.read()  # the pool is open and the schema exists
        with _lock_held(schemas, name) as (admin, holder):
            writer = asyncio.create_task(stream.publish(events=_events(3), condition=condition))
            await _blocked_writer(admin, holder)  # the statement waits on the server
            writer.cancel()
            with pytest.raises(asyncio.CancelledError):
                await writer
            # Cancelled on the server too, while the lock is still held.
            assert admin.execute(BLOCKED, [holder.info.backend_pid]).fetchone() is None
        assert await stream.read() == []
        stats = await _pool_settles(store)
        # The cancelled connection came back to the pool, reusable: none was replaced.
        assert stats["connections_num"] == stats["pool_size"]
        assert "returns_bad" not in stats
        stored = await stream.publish(events=_events(3), condition=condition)
        assert [e.position for e in stored] == [0, 1, 2]

    _run(schemas.url(name), body, pool_max_size=2)


@pytest.mark.parametrize("timeout", ["lock_timeout", "statement_timeout"])
def test_a_publish_that_cannot_get_the_lock_in_time_raises_store_busy(
    schemas: SchemaFactory, timeout: str
) -> None:
    name = schemas.name()

    async def body(store: AsyncEventStore) -> None:
        assert await store.log().read() == []  # the schema exists
        with _lock_held(schemas, name), pytest.raises(StoreBusyError, match="in time"):
            await store.stream(category="c", stream="s").publish(events=_events(2))
        assert await store.log().read() == []
        await _pool_settles(store)

    _run(schemas.url(name), body, **{timeout: 0.2})


def test_a_terminated_async_writer_writes_nothing_and_the_pool_recovers(
    schemas: SchemaFactory,
) -> None:
    name = schemas.name()

    async def body(store: AsyncEventStore) -> None:
        stream = store.stream(category="c", stream="s")
        await stream.read()
        with _lock_held(schemas, name) as (admin, holder):
            writer = asyncio.create_task(stream.publish(events=_events(3)))
            pid = await _blocked_writer(admin, holder)
            admin.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])
            with pytest.raises(StorageError) as caught:
                await writer
            assert isinstance(caught.value.__cause__, psycopg.OperationalError)
        assert await stream.read() == []
        stored = await stream.publish(events=_events(3))
        assert [e.position for e in stored] == [0, 1, 2]
        await _pool_settles(store)

    _run(schemas.url(name), body, pool_max_size=1)


def test_abandoned_iterations_return_their_connections(schemas: SchemaFactory) -> None:
    async def body(store: AsyncEventStore) -> None:
        stored = await store.stream(category="c", stream="s").publish(events=_events(30))
        for stop in range(6):  # more abandoned scans than the pool has connections
            async for event in store.log().iterate():
                if event.position == stop * 4:
                    break
        async with aclosing(store.log().iterate(after=2)) as events:
            assert (await anext(events)).position == 2
        stats = await _pool_settles(store)
        assert stats["pool_size"] <= 2
        assert await store.log().read() == stored

    _run(schemas.url(), body, page_size=5, pool_max_size=2)


def test_aclose_closes_the_pool_and_the_store(schemas: SchemaFactory) -> None:
    async def main() -> None:
        store = await tidings.connect_async(schemas.url())
        adapter = _adapter(store)
        await store.stream(category="c", stream="s").publish(events=_events(1))
        assert not adapter.pool.closed
        await store.aclose()
        assert adapter.pool.closed
        with pytest.raises(StoreClosedError):
            await adapter.latest(store.log().identifier)
        with pytest.raises(StoreClosedError):
            await store.log().read()
        await store.aclose()  # idempotent
        unused = await tidings.connect_async(schemas.url())
        never_opened = _adapter(unused)
        await unused.aclose()
        assert never_opened.pool.closed

    asyncio.run(main())


def test_a_server_that_is_down_fails_the_first_call_without_the_password() -> None:
    url = f"postgresql://writer:{PASSWORD}@127.0.0.1:1/events?connect_timeout=2"

    async def body(store: AsyncEventStore) -> None:
        with pytest.raises(StorageError) as caught:
            await store.log().read()
        assert "127.0.0.1:1" in str(caught.value)
        assert PASSWORD not in str(caught.value)
        assert PASSWORD not in repr(store)

    _run(url, body)


def test_both_faces_share_one_store(schemas: SchemaFactory) -> None:
    url = schemas.url()

    async def body(store: AsyncEventStore) -> None:
        written = await store.stream(category="c", stream="s").publish(events=_events(2))
        with tidings.connect(url) as sync_store:
            assert sync_store.log().read() == written
            more = sync_store.stream(category="c", stream="s").publish(events=_events(1))
        assert await store.log().read() == written + more

    _run(url, body)


@pytest.mark.parametrize("call", ["read", "latest", "iterate", "load"])
def test_an_async_read_that_gets_no_connection_in_time_raises_storage_error(
    schemas: SchemaFactory, call: str
) -> None:
    """As on the sync face: the pool's timeout is an answer, not a lost connection to
    retry, and it used to escape as ``RuntimeError: generator didn't yield``."""

    async def read(store: AsyncEventStore) -> object:
        stream = store.stream(category="c", stream="s")
        if call == "read":
            return await stream.read()
        if call == "latest":
            return await stream.latest()
        if call == "iterate":
            return [event async for event in stream.iterate()]
        return await store.projections.load(name="p", id="1")

    async def body(store: AsyncEventStore) -> None:
        stored = await store.stream(category="c", stream="s").publish(events=_events(2))
        async with _adapter(store).pool.connection():  # the only connection, held
            with pytest.raises(StorageError, match="no connection became free") as caught:
                await read(store)
            assert isinstance(caught.value.__cause__, PoolTimeout)
        assert await store.stream(category="c", stream="s").read() == stored

    _run(schemas.url(), body, pool_max_size=1, connect_timeout=0.3)
