"""The async face: same semantics as the sync one, under many concurrent tasks.

Runs on memory (natively async) and SQLite (through the thread bridge). The full
conformance suite also runs through the async face, in tests/conformance.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any

import pytest

import tidings
from tidings import (
    AsyncEventStore,
    Batch,
    Capability,
    NewEvent,
    Projector,
    SnapshotPolicy,
    StoreBusyError,
    StoredEvent,
    UnmetWriteConditionError,
    ValidationError,
    position_is,
    stream_is_empty,
)
from tidings.adapters import DirectBridge, ThreadBridge

Body = Callable[[AsyncEventStore], Awaitable[None]]


@pytest.fixture(params=["memory", "sqlite"])
def run_with_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Body], None]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/events.db"

    def run(body: Body) -> None:
        async def main() -> None:
            async with await tidings.connect_async(url) as store:
                await body(store)

        asyncio.run(main())

    return run


def _events(count: int, **payload: Any) -> list[NewEvent]:
    return [NewEvent(name="e", payload={"i": i, **payload}) for i in range(count)]


def test_memory_is_natively_async_and_sqlite_is_bridged(tmp_path: Path) -> None:
    async def main() -> None:
        async with await tidings.connect_async("memory://") as memory:
            assert isinstance(memory.adapter, DirectBridge)
            assert Capability.NATIVE_ASYNC in memory.capabilities
        async with await tidings.connect_async(f"sqlite:///{tmp_path}/x.db") as sqlite:
            assert isinstance(sqlite.adapter, ThreadBridge)
            assert Capability.NATIVE_ASYNC not in sqlite.capabilities

    asyncio.run(main())


def test_the_async_api_mirrors_the_sync_one(run_with_store: Callable[[Body], None]) -> None:
    async def body(store: AsyncEventStore) -> None:
        stream = store.stream(category="c", stream="s")
        published = await stream.publish(events=_events(3), condition=stream_is_empty())
        assert [e.position for e in published] == [0, 1, 2]
        assert await stream.read() == published
        assert [e async for e in store.log()] == published
        assert (
            await store.category(category="c").read(after=published[0].sequence_number)
            == published[1:]
        )
        assert await stream.latest() == published[-1]
        both = await store.category(category="c").publish(
            streams={"s": Batch(_events(1), position_is(2)), "t": _events(2)}
        )
        assert [e.position for e in both["s"]] == [3]
        assert len(await store.log().read(names=["e"], limit=4)) == 4

    run_with_store(body)


def test_async_and_sync_faces_reject_the_same_input(run_with_store: Callable[[Body], None]) -> None:
    async def body(store: AsyncEventStore) -> None:
        with pytest.raises(ValidationError, match="after"):
            await store.log().read(after=-1)
        with pytest.raises(ValidationError, match=r"events\[0\]"):
            await store.stream(category="c", stream="s").publish(events=["x"])  # type: ignore[list-item]
        assert await store.log().read() == []

    run_with_store(body)


def test_fifty_tasks_contending_for_one_stream_exactly_one_wins(
    run_with_store: Callable[[Body], None],
) -> None:
    async def body(store: AsyncEventStore) -> None:
        stream = store.stream(category="race", stream="s")

        async def claim(task: int) -> list[StoredEvent]:
            return await stream.publish(events=_events(2, task=task), condition=position_is(None))

        results = await asyncio.gather(*(claim(t) for t in range(50)), return_exceptions=True)
        winners = [r for r in results if isinstance(r, list)]
        assert len(winners) == 1
        assert all(isinstance(r, UnmetWriteConditionError) for r in results if r not in winners)
        assert await stream.read() == winners[0]

    run_with_store(body)


def test_fifty_retrying_tasks_leave_contiguous_positions(
    run_with_store: Callable[[Body], None],
) -> None:
    async def body(store: AsyncEventStore) -> None:
        stream = store.stream(category="race", stream="s")

        async def append(task: int) -> None:
            for _ in range(200):
                latest = await stream.latest()
                expected = None if latest is None else latest.position
                try:
                    await stream.publish(
                        events=_events(1, task=task), condition=position_is(expected)
                    )
                    return
                except UnmetWriteConditionError:
                    await asyncio.sleep(0)
            raise AssertionError(f"task {task} never won")

        await asyncio.gather(*(append(t) for t in range(50)))
        stored = await stream.read()
        assert [e.position for e in stored] == list(range(50))
        assert sorted(e.payload["task"] for e in stored) == list(range(50))

    run_with_store(body)


def test_a_tailing_reader_task_sees_every_event_once_in_order(
    run_with_store: Callable[[Body], None],
) -> None:
    async def body(store: AsyncEventStore) -> None:
        done = asyncio.Event()
        seen: list[StoredEvent] = []

        async def tail() -> None:
            after = 0
            finished = False
            while not finished:
                finished = done.is_set()
                async for event in store.log().iterate(after=after):
                    seen.append(event)
                    after = event.sequence_number
                await asyncio.sleep(0)

        async def write(task: int) -> None:
            for n in range(20):
                await store.stream(category="c", stream=f"s{task % 3}").publish(
                    events=_events(2, task=task, n=n)
                )

        reader = asyncio.create_task(tail())
        await asyncio.gather(*(write(t) for t in range(10)))
        done.set()
        await reader
        assert seen == await store.log().read()
        assert len(seen) == 400

    run_with_store(body)


def test_projections_are_awaitable(run_with_store: Callable[[Body], None]) -> None:
    class Counter(Projector):
        name = "counter"

        def e(self, state: Any, event: StoredEvent) -> Any:
            return state.merge({"n": state.get("n", 0) + 1})

    async def body(store: AsyncEventStore) -> None:
        stream = store.stream(category="c", stream="s")
        await stream.publish(events=_events(5))
        projection = await Counter().project(stream)
        assert (projection.state, projection.position, projection.id) == ({"n": 5}, 4, "s")
        if Capability.PROJECTION_STORAGE not in store.capabilities:
            return
        stored = await store.projections.project(
            Counter(), stream, snapshots=SnapshotPolicy(every=2)
        )
        assert stored.state == {"n": 5}
        await stream.publish(events=_events(1))
        resumed = await store.projections.project(Counter(), stream)
        assert resumed.state == {"n": 6}
        page = await store.projections.search(name="counter", where=[tidings.field("state.n") >= 6])
        assert [p.id for p in page.items] == ["s"]
        assert await store.projections.count(name="counter") == 1

    run_with_store(body)


def test_an_abandoned_iteration_releases_its_scan(run_with_store: Callable[[Body], None]) -> None:
    async def body(store: AsyncEventStore) -> None:
        await store.stream(category="c", stream="s").publish(events=_events(1200))
        async with aclosing(store.log().iterate()) as events:
            async for event in events:
                if event.position == 3:
                    break
        # the store is still fully usable, and closing it does not hang on a held scan
        assert len(await store.log().read(limit=10)) == 10

    run_with_store(body)


def test_a_cancelled_publish_leaves_the_whole_batch_or_nothing(tmp_path: Path) -> None:
    async def main() -> None:
        async with await tidings.connect_async(f"sqlite:///{tmp_path}/events.db") as store:
            stream = store.stream(category="c", stream="s")
            for size in (1, 500, 5000):
                task = asyncio.create_task(stream.publish(events=_events(size, size=size)))
                await asyncio.sleep(0)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            await asyncio.sleep(0.5)  # let any write that was already under way finish
            stored = await stream.read()
            sizes = [e.payload["size"] for e in stored]
            for size in set(sizes):
                assert sizes.count(size) == size, f"a partial batch of {size} was stored"
            after = await stream.publish(events=_events(1, size=0))
            assert after[0].position == len(stored)

    asyncio.run(main())


def test_the_bridge_does_not_block_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "events.db"

    async def main() -> None:
        async with await tidings.connect_async(f"sqlite:///{path}", busy_timeout=1.0) as store:
            await store.stream(category="c", stream="s").publish(events=_events(1))
            blocker = sqlite3.connect(path, isolation_level=None)
            blocker.execute("BEGIN IMMEDIATE")
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            ticking = asyncio.create_task(ticker())
            try:
                with pytest.raises(StoreBusyError):
                    await store.stream(category="c", stream="s").publish(events=_events(1))
            finally:
                ticking.cancel()
                blocker.rollback()
                blocker.close()
            assert ticks > 10  # the loop kept running while the write waited for the lock
            assert len(await store.log().read()) == 1

    asyncio.run(main())


def test_a_cancelled_bridged_publish_has_settled_when_the_cancellation_arrives(
    tmp_path: Path,
) -> None:
    """Issue 14, item 6: the thread's publish must not land after the caller regained
    control. Another connection holds SQLite's write lock, so the publish is surely under
    way in its thread (waiting for the lock) when the task is cancelled; the lock is let
    go a little later, from a thread of its own."""
    path = tmp_path / "events.db"

    async def main() -> None:
        async with await tidings.connect_async(f"sqlite:///{path}", busy_timeout=10) as store:
            stream = store.stream(category="c", stream="s")
            blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            blocker.execute("BEGIN IMMEDIATE")
            releaser = threading.Timer(0.6, blocker.rollback)
            try:
                task = asyncio.create_task(stream.publish(events=_events(3000)))
                await asyncio.sleep(0.3)  # the worker thread is now waiting for the lock
                assert not task.done()
                releaser.start()
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                seen_at_once = len(await stream.read())
                releaser.join()
                await asyncio.sleep(0.5)  # time for a write still under way to land
                seen_later = len(await stream.read())
            finally:
                releaser.cancel()
                releaser.join()
                blocker.close()
            assert seen_at_once in (0, 3000)
            assert seen_later == seen_at_once, "the cancelled publish changed the store later"

    asyncio.run(main())


def test_a_bridged_call_cancelled_before_its_thread_starts_never_runs(tmp_path: Path) -> None:
    """With every worker busy, a queued call that is cancelled is dropped, not run."""

    async def main() -> None:
        adapter = ThreadBridge(
            tidings.connect(f"sqlite:///{tmp_path}/events.db").adapter, max_workers=1
        )
        store = AsyncEventStore(adapter)
        path = tmp_path / "events.db"
        blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        releaser = threading.Timer(0.5, blocker.rollback)
        try:
            first = asyncio.create_task(
                store.stream(category="c", stream="a").publish(events=_events(1))
            )
            await asyncio.sleep(0.2)  # the one worker waits for the lock
            queued = asyncio.create_task(
                store.stream(category="c", stream="b").publish(events=_events(1))
            )
            await asyncio.sleep(0.05)
            queued.cancel()
            with pytest.raises(asyncio.CancelledError):
                await queued
            assert not first.done()  # cancelled at once: it never waited for the worker
            releaser.start()
            await first
        finally:
            releaser.cancel()
            releaser.join()
            blocker.close()
        assert [e.stream for e in await store.log().read()] == ["a"]
        await store.aclose()

    asyncio.run(main())


def test_the_memory_store_lets_other_tasks_run_while_writers_are_busy() -> None:
    """Issue 14, item 8: a heartbeat task keeps beating while ten writer tasks publish
    and read; the direct bridge yields to the loop before every call.

    The record is the order in which things happened, not a clock: a beat is written
    each time the heartbeat runs, a writer's number each time one of its publishes
    returns. A busy machine may slow the loop down, but cannot reorder it."""
    writers = 10

    async def main() -> list[int | None]:
        order: list[int | None] = []  # None: a beat
        async with await tidings.connect_async("memory://") as store:
            running = True

            async def heartbeat() -> None:
                while running:
                    await asyncio.sleep(0)
                    order.append(None)

            async def writer(number: int) -> None:
                stream = store.stream(category="c", stream=f"s{number}")
                for _ in range(500):
                    await stream.publish(events=_events(5))
                    order.append(number)
                assert len(await stream.read()) == 2500

            beating = asyncio.create_task(heartbeat())
            await asyncio.gather(*(writer(n) for n in range(writers)))
            running = False
            await beating
            assert len(await store.log().read()) == 25_000
        return order

    order = asyncio.run(main())
    assert order.count(None) > 100, "the heartbeat hardly ran while the writers were busy"
    runs = itertools.groupby(order, key=lambda entry: entry is None)
    publishes_between_beats = [len(list(run)) for is_beat, run in runs if not is_beat]
    # Without yielding, one writer's 500 publishes would run between two beats; with it,
    # at most about one publish of each writer does.
    assert max(publishes_between_beats) <= 2 * writers, max(publishes_between_beats)


def test_a_cancelled_wait_for_changes_on_the_thread_bridge_stops_at_once(tmp_path: Path) -> None:
    """Waiting for commits changes nothing, so cancelling it need not wait for the
    thread's wait to time out (a publish, in contrast, settles first)."""

    async def main() -> None:
        async with await tidings.connect_async(f"sqlite:///{tmp_path}/events.db") as store:
            assert isinstance(store.adapter, ThreadBridge)
            loop = asyncio.get_running_loop()
            waiting = asyncio.create_task(store.adapter.wait_for_change(3.0))
            await asyncio.sleep(0.1)
            started = loop.time()
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            assert loop.time() - started < 1.0

    asyncio.run(main())
