"""The compare-and-set publish plan on its own: what it reads, what it commits, and that
it retries a conflict and gives up, boundedly, on a store that always conflicts.

Its correctness under real concurrency is proven by the conformance suite on the
throwaway adapter (tests/testkit/test_cas_adapter.py) and by the mutants that break it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from tidings import NewEvent, StoredEvent, UnmetWriteConditionError, position_is
from tidings.adapters import (
    Backoff,
    Commit,
    Heads,
    ReadHeads,
    StoreBusyError,
    StreamBatch,
    StreamIdentifier,
    build_stored_events,
    optimistic_publish,
)

A = StreamIdentifier("c", "a")
B = StreamIdentifier("c", "b")
NOW = datetime(2024, 1, 1, tzinfo=UTC)


def _stored(stream: StreamIdentifier, count: int, *, first_number: int = 1) -> list[StoredEvent]:
    batch = StreamBatch(stream, tuple(NewEvent(name="old", id=f"old-{i}") for i in range(count)))
    return build_stored_events(
        batch, first_position=0, first_sequence_number=first_number, recorded_at=NOW
    )


def _drive(
    batches: list[StreamBatch],
    heads: Callable[[ReadHeads], Heads],
    commit: Callable[[Commit], list[list[StoredEvent]] | None],
    *,
    max_attempts: int = 10,
) -> tuple[list[list[StoredEvent]], list[object]]:
    """Run the plan with fake primitives; return its result and every effect it yielded."""
    plan = optimistic_publish(batches, max_attempts=max_attempts)
    effects: list[object] = []
    reply: object = None
    try:
        while True:
            effect = plan.send(reply)
            effects.append(effect)
            if isinstance(effect, ReadHeads):
                reply = heads(effect)
            elif isinstance(effect, Commit):
                reply = commit(effect)
            else:
                assert isinstance(effect, Backoff)
                reply = None
    except StopIteration as done:
        return done.value, effects


def test_the_commit_expects_the_heads_the_decision_saw_and_new_ids_absent() -> None:
    existing = _stored(A, 2)
    batches = [
        StreamBatch(A, (NewEvent(name="e", id="x"),), position_is(1)),
        StreamBatch(B, ()),
        StreamBatch(StreamIdentifier("c", "d"), (NewEvent(name="e"), NewEvent(name="e"))),
    ]
    commits: list[Commit] = []

    def commit(effect: Commit) -> list[list[StoredEvent]]:
        commits.append(effect)
        return effect.stored(first_sequence_number=10)

    result, effects = _drive(batches, lambda _: Heads({A: existing[-1], B: None}, {}), commit)
    (read,) = [e for e in effects if isinstance(e, ReadHeads)]
    assert read.streams == (A, B, StreamIdentifier("c", "d"))
    assert read.ids == {"x"}
    (sent,) = commits
    assert sent.expected == {A: 1, B: None, StreamIdentifier("c", "d"): None}
    assert sent.absent_ids == {"x"}
    assert [(a.stream, a.first_position, len(a.events)) for a in sent.appends] == [
        (A, 2, 1),
        (StreamIdentifier("c", "d"), 0, 2),
    ]
    assert [[(e.position, e.sequence_number) for e in r] for r in result] == [
        [(2, 10)],
        [],
        [(0, 11), (1, 12)],
    ]
    assert {e.recorded_at for r in result for e in r} == {sent.recorded_at}


def test_a_conflict_is_read_and_decided_again() -> None:
    existing = _stored(A, 1)
    seen = iter([Heads({A: None}, {}), Heads({A: existing[0]}, {})])
    answers = iter([None, "commit"])

    def commit(effect: Commit) -> list[list[StoredEvent]] | None:
        return None if next(answers) is None else effect.stored(first_sequence_number=2)

    batch = StreamBatch(A, (NewEvent(name="e"),))
    result, effects = _drive([batch], lambda _: next(seen), commit)
    assert [type(e).__name__ for e in effects] == [
        "ReadHeads",
        "Commit",
        "Backoff",
        "ReadHeads",
        "Commit",
    ]
    assert result[0][0].position == 1  # decided again on the new head


def test_a_condition_that_fails_on_the_snapshot_raises_and_commits_nothing() -> None:
    batch = StreamBatch(A, (NewEvent(name="e"),), position_is(0))
    with pytest.raises(UnmetWriteConditionError):
        _drive([batch], lambda _: Heads({A: None}, {}), lambda _: pytest.fail("committed"))


def test_an_exact_retry_skips_its_condition_and_commits_nothing() -> None:
    stored = _stored(A, 2)
    batch = StreamBatch(A, tuple(NewEvent(name="old", id=e.id) for e in stored), position_is(None))
    heads = Heads({A: stored[-1]}, {e.id: e for e in stored})
    result, _ = _drive([batch], lambda _: heads, lambda _: pytest.fail("committed"))
    assert result == [stored]


def test_a_store_that_always_conflicts_gives_up_with_store_busy() -> None:
    batch = StreamBatch(A, (NewEvent(name="e"),))
    with pytest.raises(StoreBusyError, match="conflicted with other writers 3 times"):
        _drive([batch], lambda _: Heads({A: None}, {}), lambda _: None, max_attempts=3)
