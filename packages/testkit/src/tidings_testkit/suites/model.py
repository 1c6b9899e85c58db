"""Contract §1, the model: identifiers, names, events, positions and sequence numbers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest

from tidings import (
    CategoryIdentifier,
    EventStore,
    FixedClock,
    LogIdentifier,
    NewEvent,
    StreamIdentifier,
    ValidationError,
    using_clock,
)
from tidings_testkit.suite import AdapterSuite
from tidings_testkit.suites._support import events

__all__ = ["ModelSuite"]

UNICODE_NAMES = [
    "ünïcödé-名前-🎉",
    "مرحبا",
    "a" * 255,
    "with space/and:colon%percent'quote\"",
    "tab\tand\nnewline",
]


class ModelSuite(AdapterSuite):
    """Rules 1-6: what an event is, and how the store numbers it."""

    def test_identifiers_are_values(self) -> None:
        assert StreamIdentifier("a", "b") == StreamIdentifier("a", "b")
        assert hash(CategoryIdentifier("a")) == hash(CategoryIdentifier("a"))
        assert LogIdentifier() == LogIdentifier()
        assert repr(StreamIdentifier("a", "b")) == "StreamIdentifier(category='a', stream='b')"
        with pytest.raises(AttributeError):
            StreamIdentifier("a", "b").stream = "c"  # type: ignore[misc]

    def test_reading_a_scope_never_written_returns_nothing(self, store: EventStore) -> None:
        assert store.stream(category="nothing", stream="here").read() == []
        assert store.category(category="nothing").read() == []
        assert store.log().read() == []
        assert store.log().latest() is None

    @pytest.mark.parametrize("name", UNICODE_NAMES)
    def test_unicode_names_round_trip_exactly(self, store: EventStore, name: str) -> None:
        stream = store.stream(category=name, stream=name)
        published = stream.publish(events=[NewEvent(name=name)])
        read = store.stream(category=name, stream=name).read()
        assert read == published
        assert (read[0].category, read[0].stream, read[0].name) == (name, name, name)

    @pytest.mark.parametrize("bad", ["", "a" * 256, "nul\x00char", "lone\ud800surrogate", 42, None])
    def test_invalid_names_are_rejected_before_any_io(self, store: EventStore, bad: object) -> None:
        with pytest.raises(ValidationError, match="category"):
            store.stream(category=bad, stream="s")  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="stream"):
            store.stream(category="c", stream=bad)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="name"):
            NewEvent(name=bad)  # type: ignore[arg-type]
        assert store.log().read() == []

    def test_payload_and_metadata_round_trip_exactly(self, store: EventStore) -> None:
        payload = {
            "str": "ünïcödé 🎉",
            "int": 2**62,
            "negative": -17,
            "float": 0.1,
            "tiny": 1e-300,
            "bool": True,
            "null": None,
            "list": [1, "two", [3.5], {"four": 4}],
            "nested": {"a": {"b": {"c": []}}},
            "empty": {},
        }
        metadata = {"correlation": "abc", "tags": ["x", "y"]}
        stream = store.stream(category="c", stream="s")
        published = stream.publish(events=[NewEvent(name="e", payload=payload, metadata=metadata)])
        read = stream.read()
        assert read == published
        assert read[0].payload == payload
        assert read[0].metadata == metadata

    @pytest.mark.parametrize("payload", [[1, 2], "text", 3, None, True])
    def test_any_json_value_is_a_payload(self, store: EventStore, payload: object) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[NewEvent(name="e", payload=payload)])
        assert stream.read()[0].payload == payload

    def test_tuples_are_written_as_lists(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[NewEvent(name="e", payload={"t": (1, (2, 3))})])
        assert stream.read()[0].payload == {"t": [1, [2, 3]]}

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"x": float("nan")}, "payload.x"),
            ({"x": float("inf")}, "payload.x"),
            ({"x": [float("-inf")]}, "payload.x[0]"),
            ({"x": "nul\x00"}, "payload.x"),
            ({"x": "\udc00"}, "payload.x"),
            ({"nul\x00key": 1}, "payload"),
            ({1: "int key"}, "payload"),
            ({"x": {1, 2}}, "payload.x"),
            ({"x": b"bytes"}, "payload.x"),
        ],
    )
    def test_non_portable_json_is_rejected(
        self, store: EventStore, payload: object, field: str
    ) -> None:
        with pytest.raises(ValidationError) as raised:
            NewEvent(name="e", payload=payload)
        assert raised.value.field == field
        with pytest.raises(ValidationError, match="metadata"):
            NewEvent(name="e", metadata=payload)
        assert store.log().read() == []

    def test_metadata_defaults_to_an_empty_mapping(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[NewEvent(name="e")])
        assert stream.read()[0].metadata == {}

    def test_observed_at_defaults_to_the_clock_and_occurred_at_to_observed_at(
        self, store: EventStore
    ) -> None:
        moment = datetime(2024, 2, 29, 12, 30, 15, 123456, tzinfo=UTC)
        with using_clock(FixedClock(moment)):
            event = NewEvent(name="e")
        assert event.observed_at == moment
        assert event.occurred_at == moment
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[event])
        stored = stream.read()[0]
        assert (stored.observed_at, stored.occurred_at) == (moment, moment)

    def test_naive_datetimes_are_rejected(self) -> None:
        with pytest.raises(ValidationError, match="occurred_at"):
            NewEvent(name="e", occurred_at=datetime(2024, 1, 1))
        with pytest.raises(ValidationError, match="observed_at"):
            NewEvent(name="e", observed_at=datetime(2024, 1, 1))

    def test_aware_datetimes_are_normalised_to_utc(self, store: EventStore) -> None:
        india = timezone(timedelta(hours=5, minutes=30))
        occurred = datetime(2024, 1, 1, 10, 0, 0, 1, tzinfo=india)
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[NewEvent(name="e", occurred_at=occurred, observed_at=occurred)])
        stored = stream.read()[0]
        assert stored.occurred_at == occurred
        assert stored.occurred_at.utcoffset() == timedelta(0)
        assert stored.observed_at.utcoffset() == timedelta(0)
        assert stored.recorded_at.utcoffset() == timedelta(0)

    def test_the_store_generates_a_uuid_when_no_id_is_given(self, store: EventStore) -> None:
        stored = store.stream(category="c", stream="s").publish(events=events(2))
        assert all(isinstance(e.id, str) and uuid.UUID(e.id) for e in stored)
        assert stored[0].id != stored[1].id

    def test_a_given_id_is_kept(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[NewEvent(name="e", id="my-id-1")])
        assert stream.read()[0].id == "my-id-1"

    def test_recorded_at_is_assigned_when_the_store_commits(self, store: EventStore) -> None:
        long_ago = datetime(2000, 1, 1, tzinfo=UTC)
        before = datetime.now(UTC)
        stored = store.stream(category="c", stream="s").publish(
            events=[NewEvent(name="e", occurred_at=long_ago, observed_at=long_ago)]
        )[0]
        after = datetime.now(UTC)
        slack = timedelta(seconds=5)  # tolerate a database clock slightly apart from ours
        assert before - slack <= stored.recorded_at <= after + slack
        assert stored.occurred_at == long_ago

    def test_a_stored_event_read_back_equals_the_published_one(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        published = stream.publish(events=events(3, metadata={"m": 1}))
        assert stream.read() == published
        assert store.category(category="c").read() == published
        assert store.log().read() == published
        assert stream.latest() == published[-1]

    def test_positions_start_at_zero_and_are_contiguous(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=events(2))
        store.stream(category="c", stream="other").publish(events=events(1))
        stream.publish(events=events(3))
        assert [e.position for e in stream.read()] == [0, 1, 2, 3, 4]
        assert [e.position for e in store.stream(category="c", stream="other").read()] == [0]

    def test_sequence_numbers_start_at_one_and_strictly_increase(self, store: EventStore) -> None:
        store.stream(category="a", stream="s").publish(events=events(2))
        store.stream(category="b", stream="t").publish(events=events(2))
        store.stream(category="a", stream="s").publish(events=events(1))
        numbers = [e.sequence_number for e in store.log().read()]
        assert numbers[0] == 1
        assert all(later > earlier for earlier, later in pairwise(numbers))
        assert len(set(numbers)) == len(numbers) == 5
