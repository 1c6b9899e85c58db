"""Contract rules 5, 7-13 under real threads: one store, many writers and readers.

Each race test is built to fail for one way of getting atomicity wrong, which
``tests/testkit/mutants.py`` plants on purpose: a condition or an id looked up outside
the atomic step, a multi-stream publish that is atomic only when nobody else writes.
The tests check every outcome, not only the final counts, because those bugs keep the
counts right.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tidings import (
    Batch,
    CategoryIdentifier,
    CategoryScope,
    DuplicateEventIdError,
    EventStore,
    LogScope,
    NewEvent,
    Ordering,
    StoredEvent,
    StreamIdentifier,
    StreamScope,
    UnmetWriteConditionError,
    WriteCondition,
    position_is,
)
from tidings_testkit.suite import AdapterSuite

__all__ = ["ConcurrencySuite", "tail_while_writing"]

WRITERS = 8
RACE_ROUNDS = 12
"""Rounds of the concurrent-retry race; each one is a fresh chance to store a batch twice."""


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


def _send(
    stream: StreamScope, batch: list[NewEvent], condition: WriteCondition | None, _writer: int
) -> list[StoredEvent]:
    return stream.publish(events=batch, condition=condition)


def _send_to_one_of(
    streams: list[StreamScope], batch: list[NewEvent], writer: int
) -> list[StoredEvent]:
    return streams[writer % len(streams)].publish(events=batch)


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

    def test_a_successful_position_check_lands_right_after_that_position(
        self, store: EventStore
    ) -> None:
        """``position_is(n)`` that succeeds must have appended at n + 1: a condition
        checked outside the atomic step lets two writers pass ``position_is(n)`` and both
        write, one of them further on, while positions stay contiguous and counts right."""
        stream = store.stream(category="race", stream="checked")
        attempts_each = 25

        def write(writer: int) -> list[tuple[int | None, int]]:
            landed: list[tuple[int | None, int]] = []
            for n in range(attempts_each):
                latest = stream.latest()
                expected = None if latest is None else latest.position
                try:
                    stored = stream.publish(
                        events=[NewEvent(name="e", payload={"w": writer, "n": n, "x": expected})],
                        condition=position_is(expected),
                    )
                except UnmetWriteConditionError:
                    continue
                landed.append((expected, stored[0].position))
            return landed

        results = _run_together(WRITERS, write)
        assert all(isinstance(r, list) for r in results), results
        landed = [pair for result in results for pair in result]
        wrong = [(x, p) for x, p in landed if p != (0 if x is None else x + 1)]
        assert wrong == [], f"position_is(n) succeeded but landed elsewhere: {wrong[:5]}"
        stored = stream.read()
        assert [e.position for e in stored] == list(range(len(landed)))
        assert all(e.payload["x"] == (None if e.position == 0 else e.position - 1) for e in stored)

    def test_concurrent_retries_of_one_batch_store_it_exactly_once(self, store: EventStore) -> None:
        """Eight writers send the same id-tagged batch at once: one stores it, the others
        get it back as an exact retry (with or without a condition, rule 10). Ids looked
        up outside the atomic step let several writers store it."""
        for round_ in range(RACE_ROUNDS):
            stream = store.stream(category="retry", stream=f"s{round_}")
            batch = [NewEvent(name="e", id=str(uuid.uuid4()), payload={"i": i}) for i in range(3)]
            condition = position_is(None) if round_ % 2 else None
            results = _run_together(WRITERS, functools.partial(_send, stream, batch, condition))
            stored = stream.read()
            assert [e.id for e in stored] == [e.id for e in batch], f"round {round_}: {stored}"
            assert [e.position for e in stored] == [0, 1, 2]
            assert results == [stored] * WRITERS, f"round {round_}: {results}"

    def test_concurrent_publishes_of_one_batch_to_two_streams_store_it_once(
        self, store: EventStore
    ) -> None:
        """The same id-tagged batch sent at once to two streams: one stream gets it, the
        writers to that stream get it back, the others get ``DuplicateEventIdError``
        (rule 10). An id check that is not atomic with the write, or that only looks at
        the target stream, stores the ids twice."""
        for round_ in range(RACE_ROUNDS):
            streams = [store.stream(category="ids", stream=f"r{round_}-{side}") for side in "ab"]
            batch = [NewEvent(name="e", id=str(uuid.uuid4()), payload={"i": i}) for i in range(3)]
            results = _run_together(WRITERS, functools.partial(_send_to_one_of, streams, batch))
            stored = [stream.read() for stream in streams]
            winners = [side for side, events in enumerate(stored) if events]
            assert len(winners) == 1, f"round {round_}: the batch was stored in {winners}"
            won = stored[winners[0]]
            assert [e.id for e in won] == [e.id for e in batch]
            for writer, result in enumerate(results):
                if writer % 2 == winners[0]:
                    assert result == won, f"round {round_}, writer {writer}: {result!r}"
                else:
                    assert isinstance(result, DuplicateEventIdError), f"writer {writer}: {result!r}"

    def test_multi_stream_publishes_racing_single_stream_writers_are_all_or_nothing(
        self, store: EventStore
    ) -> None:
        """Multi-stream publishes whose last stream carries a condition race with plain
        writers on the same streams. Each multi-stream publish lands in every stream or
        in none, as it reported; a publish that is atomic only without contention
        leaves the first streams written when the last one's condition fails."""
        category = store.category(category="race")
        streams = ("a", "b", "c")
        rounds = 20
        multi_writers = WRITERS // 2
        finished: list[int] = []
        done = threading.Event()

        def multi(writer: int) -> list[tuple[str, dict[str, list[StoredEvent]] | None]]:
            outcomes: list[tuple[str, dict[str, list[StoredEvent]] | None]] = []
            try:
                for n in range(rounds):
                    # Each round tries again (a fresh tag each time) until its condition
                    # holds once, so failures and successes both happen under contention.
                    for attempt in range(25):
                        tag = f"m{writer}-{n}-{attempt}"
                        last = category.stream("c").latest()
                        batches = {
                            name: Batch([NewEvent(name="multi", payload={"tag": tag})])
                            for name in streams
                        }
                        batches["c"] = Batch(
                            [NewEvent(name="multi", payload={"tag": tag})],
                            condition=position_is(None if last is None else last.position),
                        )
                        try:
                            outcomes.append((tag, category.publish(streams=batches)))
                            break
                        except UnmetWriteConditionError:
                            outcomes.append((tag, None))
            finally:
                finished.append(writer)
                if len(finished) == multi_writers:
                    done.set()
            return outcomes

        def single(writer: int) -> list[str]:
            """Write until every multi-stream writer is done, so they always contend."""
            tags = []
            n = 0
            while not done.is_set() or n < rounds:
                tag = f"s{writer}-{n}"
                name = streams[(writer + n) % len(streams)]
                event = NewEvent(name="single", payload={"tag": tag})
                category.stream(name).publish(events=[event])
                tags.append(tag)
                n += 1
            return tags

        results = _run_together(WRITERS, lambda i: multi(i) if i % 2 else single(i))
        assert all(isinstance(r, list) for r in results), results
        found: dict[str, dict[str, list[StoredEvent]]] = defaultdict(dict)
        for event in category.read():
            found[event.payload["tag"]].setdefault(event.stream, []).append(event)
        outcomes = [outcome for r in results[1::2] for outcome in r]
        partial = [
            (tag, sorted(found.get(tag, {})), "ok" if result else "failed")
            for tag, result in outcomes
            if found.get(tag, {}) != (result or {})
        ]
        assert partial == [], f"multi-stream publishes not all or nothing: {partial[:5]}"
        assert any(result for _, result in outcomes), "no multi-stream publish ever succeeded"
        singles = sorted(tag for r in results[0::2] for tag in r)
        assert sorted(tag for tag in found if tag.startswith("s")) == singles
        assert all(len(found[tag]) == 1 for tag in singles)
        for name in streams:
            positions = [e.position for e in category.stream(name).read()]
            assert positions == list(range(len(positions)))

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
        tail_while_writing(store, publishes=40)


def tail_while_writing(store: EventStore, *, publishes: int) -> None:
    """Rule 12: a reader polls the scope at the store's ordering level with ``after``
    while four writers publish, some inside the scope and some outside; it must see
    every event of the scope, in order, exactly once."""
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
        for n in range(publishes):
            store.stream(category=category, stream=stream).publish(
                events=[NewEvent(name="e", payload={"w": writer, "n": n, "i": i}) for i in range(2)]
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
    assert len(seen) == sum(1 for c, s in targets if _in_scope(scope, c, s)) * 2 * publishes


def _in_scope(scope: LogScope | CategoryScope | StreamScope, category: str, stream: str) -> bool:
    target = scope.identifier  # not the scope's class: the async suite sees it through a view
    if isinstance(target, StreamIdentifier):
        return (category, stream) == (target.category, target.stream)
    if isinstance(target, CategoryIdentifier):
        return category == target.category
    return True
