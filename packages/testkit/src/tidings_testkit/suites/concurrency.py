"""Contract rules 5, 7, 12 and 13 under real threads: one store, many writers and readers."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tidings import (
    CategoryIdentifier,
    CategoryScope,
    EventStore,
    LogScope,
    NewEvent,
    Ordering,
    StoredEvent,
    StreamIdentifier,
    StreamScope,
    UnmetWriteConditionError,
    position_is,
)
from tidings_testkit.suite import AdapterSuite

__all__ = ["ConcurrencySuite"]

WRITERS = 8


def _run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` on ``count`` threads released at once; return results or errors."""
    barrier = threading.Barrier(count)

    def start(index: int) -> Any:
        barrier.wait()
        try:
            return work(index)
        except Exception as error:  # noqa: BLE001 - the caller inspects it
            return error

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


class ConcurrencySuite(AdapterSuite):
    """Writers race on one store object; the contract holds throughout."""

    def test_checked_writers_to_one_stream_exactly_one_wins(self, store: EventStore) -> None:
        stream = store.stream(category="race", stream="s")

        def write(writer: int) -> list[StoredEvent]:
            batch = [NewEvent(name="claimed", payload={"writer": writer, "n": n}) for n in range(3)]
            return stream.publish(events=batch, condition=position_is(None))

        results = _run_together(WRITERS, write)
        winners = [r for r in results if isinstance(r, list)]
        losers = [r for r in results if isinstance(r, UnmetWriteConditionError)]
        assert len(winners) == 1
        assert len(losers) == WRITERS - 1
        stored = stream.read()
        assert stored == winners[0]
        assert {e.payload["writer"] for e in stored} == {winners[0][0].payload["writer"]}

    def test_checked_writers_that_retry_leave_contiguous_positions(self, store: EventStore) -> None:
        stream = store.stream(category="race", stream="s")
        successes_each = 5

        def write(writer: int) -> int:
            conflicts = 0
            for n in range(successes_each):
                for _attempt in range(1000):  # bounded, so a broken adapter fails, not hangs
                    latest = stream.latest()
                    expected = None if latest is None else latest.position
                    try:
                        stream.publish(
                            events=[NewEvent(name="e", payload={"writer": writer, "n": n})],
                            condition=position_is(expected),
                        )
                        break
                    except UnmetWriteConditionError:
                        conflicts += 1
                else:
                    raise AssertionError(f"writer {writer} never succeeded after 1000 attempts")
            return conflicts

        results = _run_together(4, write)
        assert all(isinstance(r, int) for r in results), results
        stored = stream.read()
        assert [e.position for e in stored] == list(range(4 * successes_each))
        assert Counter(e.payload["writer"] for e in stored) == dict.fromkeys(
            range(4), successes_each
        )

    def test_unchecked_writers_keep_batches_contiguous(self, store: EventStore) -> None:
        stream = store.stream(category="race", stream="s")
        batches_each, batch_size = 5, 4

        def write(writer: int) -> None:
            for batch in range(batches_each):
                stream.publish(
                    events=[
                        NewEvent(name="e", payload={"batch": f"{writer}-{batch}", "i": i})
                        for i in range(batch_size)
                    ]
                )

        results = _run_together(WRITERS, write)
        assert results == [None] * WRITERS
        stored = stream.read()
        assert [e.position for e in stored] == list(range(WRITERS * batches_each * batch_size))
        for start in range(0, len(stored), batch_size):
            chunk = stored[start : start + batch_size]
            assert len({e.payload["batch"] for e in chunk}) == 1, chunk
            assert [e.payload["i"] for e in chunk] == list(range(batch_size))
        numbers = [e.sequence_number for e in stored]
        assert numbers == sorted(set(numbers))

    def test_tailing_readers_never_miss_an_event(self, store: EventStore) -> None:
        scope: LogScope | CategoryScope | StreamScope
        if store.ordering is Ordering.LOG:
            scope = store.log()
            targets = [("a", "s1"), ("a", "s2"), ("b", "s3"), ("b", "s4")]
        elif store.ordering is Ordering.CATEGORY:
            scope = store.category(category="a")
            targets = [("a", "s1"), ("a", "s2"), ("a", "s3"), ("b", "s4")]
        else:
            scope = store.stream(category="a", stream="s1")
            targets = [("a", "s1"), ("a", "s1"), ("a", "s2"), ("b", "s3")]
        done = threading.Event()
        seen: list[StoredEvent] = []

        def tail() -> None:
            after = 0
            finished = False
            while not finished:
                finished = done.is_set()  # read once more after writers finish
                for event in scope.iterate(after=after):
                    seen.append(event)
                    after = event.sequence_number

        def write(writer: int) -> None:
            category, stream = targets[writer]
            for n in range(40):
                store.stream(category=category, stream=stream).publish(
                    events=[
                        NewEvent(name="e", payload={"w": writer, "n": n, "i": i}) for i in range(2)
                    ]
                )

        reader = threading.Thread(target=tail)
        reader.start()
        try:
            results = _run_together(len(targets), write)
        finally:
            done.set()
            reader.join()
        assert results == [None] * len(targets)
        assert seen == scope.read()
        assert len(seen) == sum(1 for c, s in targets if _in_scope(scope, c, s)) * 80


def _in_scope(scope: LogScope | CategoryScope | StreamScope, category: str, stream: str) -> bool:
    target = scope.identifier  # not the scope's class: the async suite sees it through a view
    if isinstance(target, StreamIdentifier):
        return (category, stream) == (target.category, target.stream)
    if isinstance(target, CategoryIdentifier):
        return category == target.category
    return True
