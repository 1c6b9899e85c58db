from __future__ import annotations

import enum
from datetime import UTC, datetime

import pytest

from tidings import NewEvent, StoredEvent, ValidationError
from tidings._model import jsonvalues
from tidings._model.jsonvalues import decode_json, encode_json


def test_a_new_event_detaches_its_payload_from_the_caller() -> None:
    payload = {"items": [1, 2]}
    event = NewEvent(name="e", payload=payload)
    payload["items"].append(3)
    assert event.payload == {"items": [1, 2]}


def test_new_events_are_frozen() -> None:
    event = NewEvent(name="e")
    with pytest.raises(AttributeError):
        event.name = "f"  # type: ignore[misc]


def test_an_id_must_be_a_valid_name() -> None:
    with pytest.raises(ValidationError, match="id"):
        NewEvent(name="e", id="")
    with pytest.raises(ValidationError, match="id"):
        NewEvent(name="e", id=42)  # type: ignore[arg-type]


def test_a_datetime_field_must_be_a_datetime() -> None:
    with pytest.raises(ValidationError, match="occurred_at"):
        NewEvent(name="e", occurred_at="2024-01-01")  # type: ignore[arg-type]


@pytest.mark.parametrize("fast", [True, False], ids=["orjson", "stdlib"])
@pytest.mark.parametrize(
    "value",
    [
        {"ü": ["🎉", 2**80, -0.5, None, True]},
        2**64,
        -(2**63) - 1,
        {"id": "1234567890123456789012"},
        [1e16, -0.0, 0.1, 1.7976931348623157e308],
        "line\u2028separator",
    ],
)
def test_the_codec_round_trips_exactly(
    value: object, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fast:
        monkeypatch.setattr(jsonvalues, "_orjson", None)
    for text in (encode_json(value), encode_json(value).encode()):
        decoded = decode_json(text)
        assert decoded == value
        assert repr(decoded) == repr(value)  # same types: an int never comes back a float


def test_a_stored_event_converts_to_a_json_friendly_dict() -> None:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    event = StoredEvent(
        id="i",
        name="n",
        category="c",
        stream="s",
        position=0,
        sequence_number=1,
        payload={"a": 1},
        metadata={},
        occurred_at=moment,
        observed_at=moment,
        recorded_at=moment,
    )
    assert event.to_dict()["recorded_at"] == "2024-01-01T00:00:00+00:00"
    assert event.identifier.stream == "s"


def test_subclasses_of_json_scalars_are_stored_as_the_plain_types() -> None:
    class Level(enum.IntEnum):
        HIGH = 3

    class Tag(str):
        pass

    payload = NewEvent(name="e", payload={"level": Level.HIGH, "tag": Tag("x")}).payload
    assert [type(v) for v in payload.values()] == [int, str]
    assert payload == {"level": 3, "tag": "x"}
