"""Contract §2, writing: atomic batches, write conditions, retries, multi-stream publish."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tidings import (
    Batch,
    DuplicateEventIdError,
    EventStore,
    NewEvent,
    NoCondition,
    OutcomeUnknownError,
    StoredEvent,
    StreamIdentifier,
    UnmetWriteConditionError,
    ValidationError,
    WriteCondition,
    position_is,
    publish_with_retry,
    stream_exists,
    stream_is_empty,
)
from tidings_testkit.suite import AdapterSuite
from tidings_testkit.suites._support import events, summary

__all__ = ["WritingSuite"]


@dataclass(frozen=True)
class LastEventNamed(WriteCondition):
    """A user-defined condition: the stream's last event has a given name."""

    name: str

    def holds_for(self, last_event: StoredEvent | None) -> bool:
        return last_event is not None and last_event.name == self.name

    def describe(self) -> str:
        return f"a last event named {self.name!r}"


class WritingSuite(AdapterSuite):
    """Rules 7-11: publish is atomic and checked; retries are idempotent."""

    def test_publish_appends_the_batch_in_order(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stored = stream.publish(events=events(3))
        assert [e.payload["index"] for e in stored] == [0, 1, 2]
        assert [e.position for e in stored] == [0, 1, 2]
        assert summary(stream.read()) == summary(stored)

    def test_publish_without_a_condition_appends_to_an_existing_stream(
        self, store: EventStore
    ) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=events(2))
        stored = stream.publish(events=events(2), condition=NoCondition())
        assert [e.position for e in stored] == [2, 3]

    def test_position_is_holds_when_the_last_position_matches(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=events(2))
        stored = stream.publish(events=events(1), condition=position_is(1))
        assert stored[0].position == 2

    def test_publish_with_a_stale_position_writes_nothing(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=events(2))
        with pytest.raises(UnmetWriteConditionError) as raised:
            stream.publish(events=events(3), condition=position_is(0))
        error = raised.value
        assert error.stream == StreamIdentifier("c", "s")
        assert "0" in error.expected
        assert "1" in error.found
        assert "'c'/'s'" in str(error)
        assert len(stream.read()) == 2

    def test_position_is_none_holds_only_for_an_empty_stream(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=events(1), condition=position_is(None))
        with pytest.raises(UnmetWriteConditionError):
            stream.publish(events=events(1), condition=position_is(None))
        assert len(stream.read()) == 1

    def test_position_is_a_higher_position_fails(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        with pytest.raises(UnmetWriteConditionError) as raised:
            stream.publish(events=events(1), condition=position_is(5))
        assert "empty" in raised.value.found
        assert stream.read() == []

    def test_stream_is_empty_holds_only_for_an_empty_stream(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=events(1), condition=stream_is_empty())
        with pytest.raises(UnmetWriteConditionError):
            stream.publish(events=events(1), condition=stream_is_empty())
        assert len(stream.read()) == 1

    def test_stream_exists_holds_only_for_a_stream_with_events(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        with pytest.raises(UnmetWriteConditionError):
            stream.publish(events=events(1), condition=stream_exists())
        assert stream.read() == []
        stream.publish(events=events(1))
        stream.publish(events=events(1), condition=stream_exists())
        assert len(stream.read()) == 2

    def test_conditions_compose_with_and(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=events(1))
        with pytest.raises(UnmetWriteConditionError):
            stream.publish(events=events(1), condition=stream_exists() & position_is(3))
        stream.publish(events=events(1), condition=stream_exists() & position_is(0))
        assert len(stream.read()) == 2

    def test_conditions_compose_with_or(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        either = stream_is_empty() | position_is(0)
        stream.publish(events=events(1), condition=either)
        stream.publish(events=events(1), condition=either)
        with pytest.raises(UnmetWriteConditionError):
            stream.publish(events=events(1), condition=either)
        assert len(stream.read()) == 2

    def test_conditions_are_checked_against_the_target_stream_only(self, store: EventStore) -> None:
        store.stream(category="c", stream="other").publish(events=events(3))
        stream = store.stream(category="c", stream="s")
        stream.publish(events=events(1), condition=stream_is_empty() & position_is(None))
        assert len(stream.read()) == 1

    def test_a_custom_condition_is_honoured(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[NewEvent(name="opened")])
        stream.publish(events=[NewEvent(name="noted")], condition=LastEventNamed("opened"))
        with pytest.raises(UnmetWriteConditionError) as raised:
            stream.publish(events=[NewEvent(name="x")], condition=LastEventNamed("opened"))
        assert "opened" in raised.value.expected
        assert [e.name for e in stream.read()] == ["opened", "noted"]

    def test_a_custom_condition_composes_with_built_ins(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[NewEvent(name="opened")])
        with pytest.raises(UnmetWriteConditionError):
            stream.publish(events=events(1), condition=LastEventNamed("opened") & position_is(4))
        stream.publish(events=events(1), condition=LastEventNamed("closed") | position_is(0))
        assert len(stream.read()) == 2

    def test_an_empty_batch_writes_nothing_and_returns_an_empty_list(
        self, store: EventStore
    ) -> None:
        stream = store.stream(category="c", stream="s")
        assert stream.publish(events=[]) == []
        assert stream.publish(events=[], condition=stream_is_empty()) == []
        assert store.log().read() == []

    def test_an_empty_batch_still_checks_its_condition(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        with pytest.raises(UnmetWriteConditionError):
            stream.publish(events=[], condition=stream_exists())
        stream.publish(events=events(1))
        with pytest.raises(UnmetWriteConditionError):
            stream.publish(events=[], condition=position_is(7))

    def test_a_retried_publish_returns_the_stored_events_and_writes_nothing(
        self, store: EventStore
    ) -> None:
        stream = store.stream(category="c", stream="s")
        batch = [NewEvent(name="e", id=f"id-{n}", payload={"n": n}) for n in range(3)]
        first = stream.publish(events=batch, condition=stream_is_empty())
        again = stream.publish(events=batch, condition=stream_is_empty())
        assert again == first
        assert stream.read() == first
        assert len(store.log().read()) == 3

    def test_a_retry_after_an_unknown_outcome_stores_the_events_once(
        self, store: EventStore
    ) -> None:
        stream = store.stream(category="c", stream="s")
        calls: list[list[str | None]] = []

        def publish(batch: list[NewEvent]) -> list[StoredEvent]:
            calls.append([event.id for event in batch])
            stored = stream.publish(events=batch, condition=stream_is_empty())
            if len(calls) == 1:  # stored, but the answer is lost on the way back
                raise OutcomeUnknownError("the connection was lost after the commit")
            return stored

        stored = publish_with_retry(publish, [NewEvent(name="a"), NewEvent(name="b")], backoff=0)
        assert len(calls) == 2
        assert calls[0] == calls[1]
        assert None not in calls[0]
        assert [event.id for event in stored] == calls[0]
        assert stream.read() == stored

    def test_a_retry_to_another_stream_raises_duplicate_event_id(self, store: EventStore) -> None:
        batch = [NewEvent(name="e", id="only-once")]
        store.stream(category="c", stream="s").publish(events=batch)
        with pytest.raises(DuplicateEventIdError) as raised:
            store.stream(category="c", stream="t").publish(events=batch)
        assert raised.value.event_id == "only-once"
        assert "only-once" in str(raised.value)
        assert store.stream(category="c", stream="t").read() == []

    def test_a_partially_stored_batch_raises_duplicate_event_id_and_writes_nothing(
        self, store: EventStore
    ) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[NewEvent(name="e", id="a")])
        with pytest.raises(DuplicateEventIdError):
            stream.publish(events=[NewEvent(name="e", id="a"), NewEvent(name="e", id="b")])
        with pytest.raises(DuplicateEventIdError):
            stream.publish(events=[NewEvent(name="e", id="new"), NewEvent(name="e", id="a")])
        with pytest.raises(DuplicateEventIdError):
            stream.publish(events=[NewEvent(name="e"), NewEvent(name="e", id="a")])
        assert [e.id for e in store.log().read()] == ["a"]

    def test_a_reordered_retry_raises_duplicate_event_id(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[NewEvent(name="e", id="a"), NewEvent(name="e", id="b")])
        with pytest.raises(DuplicateEventIdError):
            stream.publish(events=[NewEvent(name="e", id="b"), NewEvent(name="e", id="a")])
        assert len(stream.read()) == 2

    def test_an_id_repeated_within_one_publish_is_rejected(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        with pytest.raises(ValidationError, match="twice"):
            stream.publish(events=[NewEvent(name="e", id="x"), NewEvent(name="e", id="x")])
        assert stream.read() == []

    def test_multi_stream_publish_writes_every_stream(self, store: EventStore) -> None:
        category = store.category(category="c")
        result = category.publish(
            streams={
                "a": events(2),
                "b": Batch(events(1), condition=stream_is_empty()),
            }
        )
        assert [e.position for e in result["a"]] == [0, 1]
        assert [e.position for e in result["b"]] == [0]
        assert summary(category.read()) == summary(result["a"] + result["b"])

    def test_multi_stream_publish_is_all_or_nothing(self, store: EventStore) -> None:
        category = store.category(category="c")
        category.stream("b").publish(events=events(1))
        with pytest.raises(UnmetWriteConditionError) as raised:
            category.publish(
                streams={
                    "a": Batch(events(2), condition=stream_is_empty()),
                    "b": Batch(events(1), condition=stream_is_empty()),
                }
            )
        assert raised.value.stream == StreamIdentifier("c", "b")
        assert category.stream("a").read() == []
        assert len(category.read()) == 1

    def test_multi_stream_publish_with_a_clashing_id_writes_nothing(
        self, store: EventStore
    ) -> None:
        category = store.category(category="c")
        category.stream("a").publish(events=[NewEvent(name="e", id="taken")])
        with pytest.raises(DuplicateEventIdError):
            category.publish(streams={"b": events(2), "c": [NewEvent(name="e", id="taken")]})
        assert len(store.log().read()) == 1

    def test_a_rejected_publish_leaves_the_store_as_it_was(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=events(2))
        before = store.log().read()
        with pytest.raises(UnmetWriteConditionError):
            stream.publish(events=events(5), condition=position_is(9))
        with pytest.raises(ValidationError):
            stream.publish(events=[*events(2), "not an event"])
        assert store.log().read() == before
        assert stream.latest() == before[-1]
        assert stream.publish(events=events(1))[0].position == 2
