"""Value types: dict shapes for StoredEvent, NewEvent and Projection; hashing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tidings import (
    CategoryIdentifier,
    LogIdentifier,
    NewEvent,
    Projection,
    State,
    StoredEvent,
    StreamIdentifier,
    ValidationError,
)
from tidings.adapters import JsonText, stored_event_from_json

MOMENT = datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC)


def _event(**changes: Any) -> StoredEvent:
    fields: dict[str, Any] = {
        "id": "i",
        "name": "n",
        "category": "c",
        "stream": "s",
        "position": 0,
        "sequence_number": 1,
        "payload": {"a": [1, 2]},
        "metadata": {},
        "occurred_at": MOMENT,
        "observed_at": MOMENT,
        "recorded_at": MOMENT,
    }
    return StoredEvent(**{**fields, **changes})


def test_a_stored_event_dict_has_the_documented_shape_and_round_trips() -> None:
    event = _event()
    assert event.to_dict() == {
        "id": "i",
        "name": "n",
        "category": "c",
        "stream": "s",
        "position": 0,
        "sequence_number": 1,
        "payload": {"a": [1, 2]},
        "metadata": {},
        "occurred_at": "2024-01-02T03:04:05.000006+00:00",
        "observed_at": "2024-01-02T03:04:05.000006+00:00",
        "recorded_at": "2024-01-02T03:04:05.000006+00:00",
    }
    assert StoredEvent.from_dict(event.to_dict()) == event


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": ""}, "id"),
        ({"position": -1}, "position"),
        ({"sequence_number": True}, "sequence_number"),
        ({"payload": {1: 2}}, "payload"),
        ({"recorded_at": "yesterday"}, "recorded_at"),
        ({"occurred_at": "2024-01-01T00:00:00"}, "occurred_at"),
        ({"extra": 1}, "event"),
    ],
)
def test_a_stored_event_dict_is_checked_field_by_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        StoredEvent.from_dict({**_event().to_dict(), **change})
    assert raised.value.field == field


def test_a_stored_event_dict_needs_every_key() -> None:
    data = _event().to_dict()
    del data["metadata"]
    with pytest.raises(ValidationError, match=r"missing keys \['metadata'\]"):
        StoredEvent.from_dict(data)
    with pytest.raises(ValidationError, match="must be a dict"):
        StoredEvent.from_dict([])  # type: ignore[arg-type]


def test_a_new_event_dict_round_trips_and_may_leave_out_defaults() -> None:
    event = NewEvent(name="n", payload=[1], metadata={"m": 1}, id="x", occurred_at=MOMENT)
    assert NewEvent.from_dict(event.to_dict()) == event
    minimal = NewEvent.from_dict({"name": "n"})
    assert (minimal.payload, minimal.metadata, minimal.id) == ({}, {}, None)
    with pytest.raises(ValidationError, match="unknown keys"):
        NewEvent.from_dict({"name": "n", "position": 1})
    with pytest.raises(ValidationError, match="occurred_at"):
        NewEvent.from_dict({"name": "n", "occurred_at": "not a time"})


@pytest.mark.parametrize(
    "source",
    [None, LogIdentifier(), CategoryIdentifier("c"), StreamIdentifier("c", "s")],
)
def test_a_projection_dict_round_trips(source: Any) -> None:
    projection = Projection(
        name="p",
        id="i",
        state=State({"a": {"b": [1]}}),
        source=source,
        position=3,
        sequence_number=9,
        projector_version=2,
        created_at=MOMENT,
        updated_at=MOMENT,
    )
    data = projection.to_dict()
    assert data["updated_at"] == "2024-01-02T03:04:05.000006+00:00"
    assert Projection.from_dict(data) == projection


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"source": {"kind": "stream", "category": "c"}}, "source"),
        ({"source": {"kind": "galaxy"}}, "source"),
        ({"position": -2}, "position"),
        ({"projector_version": "1"}, "projector_version"),
        ({"state": {"x": float("nan")}}, "state.x"),
        ({"name": ""}, "name"),
        ({"more": 1}, "projection"),
    ],
)
def test_a_projection_dict_is_checked(change: dict[str, Any], field: str) -> None:
    data = Projection(name="p", id="i", state={}, created_at=MOMENT, updated_at=MOMENT).to_dict()
    with pytest.raises(ValidationError) as raised:
        Projection.from_dict({**data, **change})
    assert raised.value.field == field
    with pytest.raises(ValidationError, match="must be a dict"):
        Projection.from_dict("p")  # type: ignore[arg-type]


def test_events_are_hashable_and_equal_events_hash_alike() -> None:
    lazy = stored_event_from_json(
        "i", "n", "c", "s", 0, 1, '{"a":[1,2]}', "{}", MOMENT, MOMENT, MOMENT
    )
    eager = _event()
    assert lazy == eager
    assert hash(lazy) == hash(eager)
    assert len({lazy, eager, _event(payload={"a": [1, 2]})}) == 1
    assert lazy != _event(payload={"a": [2, 1]})
    assert lazy != "not an event"
    new = NewEvent(name="n", payload={"a": 1}, occurred_at=MOMENT, observed_at=MOMENT)
    same = NewEvent(name="n", payload={"a": 1}, occurred_at=MOMENT, observed_at=MOMENT)
    assert hash(new) == hash(same)
    assert {new, same} == {new}


def test_equal_json_in_other_texts_is_equal() -> None:
    one = _event(payload=JsonText('{"a":1,"b":2}'))
    other = _event(payload=JsonText('{"b": 2, "a": 1}'))
    assert one == other
    assert one.payload_json == '{"a":1,"b":2}'
    assert _event(payload={"x": 1}).payload_json == '{"x":1}'


def test_a_stored_event_needs_its_payload() -> None:
    fields = _event().to_dict()
    del fields["payload"]
    with pytest.raises(TypeError, match="payload"):
        StoredEvent(
            **{**fields, "occurred_at": MOMENT, "observed_at": MOMENT, "recorded_at": MOMENT}
        )


def test_a_detached_event_decodes_its_own_copy() -> None:
    event = _event(payload=JsonText('{"a":[1]}'))
    copy = event.detached()
    copy.payload["a"].append(2)
    assert event.payload == {"a": [1]}
    assert event.detached() == event
    assert repr(JsonText("{}")) == "JsonText('{}')"
    assert JsonText(b"[1]").text == "[1]"
