from __future__ import annotations

import enum
import sys
from datetime import UTC, datetime, timedelta, timezone

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


def _nested_lists(depth: int) -> object:
    value: object = 0
    for _ in range(depth):
        value = [value]
    return value


def test_json_may_nest_up_to_the_maximum_depth() -> None:
    assert jsonvalues.MAX_DEPTH == 100
    event = NewEvent(name="e", payload=_nested_lists(100))
    assert encode_json(event.payload) == "[" * 100 + "0" + "]" * 100


@pytest.mark.parametrize("depth", [101, 500, 5000])
def test_deeper_json_is_a_validation_error_not_a_recursion_error(depth: int) -> None:
    with pytest.raises(ValidationError, match="deeper than the maximum of 100") as raised:
        NewEvent(name="e", payload=_nested_lists(depth))
    assert raised.value.field == "payload" + "[0]" * 100


def test_a_value_that_contains_itself_is_a_validation_error() -> None:
    loop: list[object] = [1]
    loop.append(loop)
    node: dict[str, object] = {}
    node["self"] = node
    with pytest.raises(ValidationError, match="contains itself") as raised:
        NewEvent(name="e", payload={"a": loop})
    assert raised.value.field == "payload.a[1]"
    with pytest.raises(ValidationError, match="contains itself") as raised:
        NewEvent(name="e", metadata=[node])
    assert raised.value.field == "metadata[0].self"


def test_a_value_shared_by_two_branches_is_not_a_cycle() -> None:
    shared = [1, 2]
    event = NewEvent(name="e", payload={"a": shared, "b": (shared, shared)})
    assert event.payload == {"a": [1, 2], "b": [[1, 2], [1, 2]]}


def test_integers_may_have_up_to_4300_digits() -> None:
    largest = 10**4300 - 1
    event = NewEvent(name="e", payload={"n": largest, "m": -largest})
    assert decode_json(encode_json(event.payload)) == {"n": largest, "m": -largest}
    for value in (10**4300, -(10**4300), 10**5000):
        with pytest.raises(ValidationError, match="at most 4300 digits") as raised:
            NewEvent(name="e", payload={"n": [value]})
        assert raised.value.field == "payload.n[0]"
        assert len(str(raised.value)) < 200


def test_a_lower_interpreter_limit_on_int_digits_lowers_the_maximum() -> None:
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(1000)
    try:
        with pytest.raises(ValidationError, match="at most 1000 digits"):
            NewEvent(name="e", payload=10**1000)
        assert NewEvent(name="e", payload=10**999 + 1).payload == 10**999 + 1
    finally:
        sys.set_int_max_str_digits(previous)


def test_a_huge_int_key_is_described_without_raising() -> None:
    with pytest.raises(ValidationError, match="mapping keys must be str, got int"):
        NewEvent(name="e", payload={10**5000: 1})


@pytest.mark.parametrize(
    "moment",
    [
        datetime.max.replace(tzinfo=timezone(-timedelta(hours=5))),
        datetime.min.replace(tzinfo=timezone(timedelta(hours=5))),
    ],
)
def test_a_datetime_outside_the_utc_range_is_a_validation_error(moment: datetime) -> None:
    with pytest.raises(ValidationError, match="outside the years 1-9999") as raised:
        NewEvent(name="e", occurred_at=moment)
    assert raised.value.field == "occurred_at"
    with pytest.raises(ValidationError, match="observed_at"):
        NewEvent(name="e", observed_at=moment)
