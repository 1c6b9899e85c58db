"""The event type registry: registration checks, names, versions and decoding errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

import tidings
from tidings import (
    EventDecodingError,
    EventTypes,
    NewEvent,
    StoredEvent,
    TypedEvent,
    UnknownEventTypeError,
    ValidationError,
)

MOMENT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Moved:
    to: str


class Renamed(BaseModel):
    name: str
    when: datetime


def _stored(name: str, payload: Any, metadata: Any = None) -> StoredEvent:
    return StoredEvent(
        id="e",
        name=name,
        category="c",
        stream="s",
        position=0,
        sequence_number=1,
        payload=payload,
        metadata={} if metadata is None else metadata,
        occurred_at=MOMENT,
        observed_at=MOMENT,
        recorded_at=MOMENT,
    )


def test_a_missing_step_in_an_upcaster_chain_is_an_error_at_registration() -> None:
    types = EventTypes()
    with pytest.raises(ValidationError, match="no upcaster from version 2 to 3") as raised:
        types.register(Moved, name="moved", version=4, upcasters={1: dict, 3: dict})
    assert raised.value.field == "upcasters"
    assert "moved" not in types


@pytest.mark.parametrize(
    ("upcasters", "reason"),
    [
        ({0: dict}, "key 0 must be a version from 1 to 2"),
        ({3: dict}, "key 3 must be a version from 1 to 2"),
        ({True: dict}, "key True"),
        ({1: "not callable"}, "not callable"),
        ([dict], "must map a version"),
    ],
)
def test_upcasters_are_checked_at_registration(upcasters: Any, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        EventTypes().register(Moved, name="moved", version=3, upcasters=upcasters)


@pytest.mark.parametrize("version", [0, -1, True, 1.5, "2"])
def test_a_version_is_an_int_of_at_least_one(version: Any) -> None:
    with pytest.raises(ValidationError, match="version"):
        EventTypes().register(Moved, name="moved", version=version)


def test_a_name_and_a_type_map_one_to_one() -> None:
    types = EventTypes()
    types.register(Moved, name="moved")
    types.register(Moved, name="moved", version=2, upcasters={1: dict})  # re-registering
    assert types.version_of(Moved) == 2
    with pytest.raises(ValidationError, match="already the name of Moved"):
        types.register(Renamed, name="moved")
    with pytest.raises(ValidationError, match="already registered as 'moved'"):
        types.register(Moved, name="relocated")
    with pytest.raises(ValidationError, match="name"):
        types.register(Renamed, name="")


def test_only_models_and_dataclasses_are_event_types() -> None:
    with pytest.raises(ValidationError, match="Pydantic v2 model or a dataclass, got 'dict'"):
        EventTypes().register(dict, name="d")


def test_lookups_name_the_type_and_its_version() -> None:
    types = EventTypes()
    types.event("renamed", version=1)(Renamed)
    assert types.name_of(Renamed) == "renamed"
    assert types.type_of("renamed") is Renamed
    assert types.type_of("other") is None
    assert types.class_named("Renamed") is Renamed
    assert types.class_named("Nothing") is None
    assert repr(types) == "EventTypes(renamed@v1)"
    with pytest.raises(UnknownEventTypeError, match="not registered"):
        types.name_of(Moved)


def test_a_typed_event_keeps_the_stored_coordinates() -> None:
    types = EventTypes()
    types.register(Renamed, name="renamed")
    stored = _stored("renamed", {"name": "x", "when": "2024-01-01T00:00:00Z"})
    typed = types.decode(stored)
    assert isinstance(typed, TypedEvent)
    assert typed.data == Renamed(name="x", when=datetime(2024, 1, 1, tzinfo=UTC))
    assert (typed.id, typed.name, typed.category, typed.stream) == ("e", "renamed", "c", "s")
    assert (typed.position, typed.sequence_number, typed.version) == (0, 1, 1)
    assert typed.identifier == stored.identifier
    assert typed.metadata == {}
    assert typed.occurred_at == typed.observed_at == typed.recorded_at == MOMENT


def test_a_new_event_from_a_model_carries_its_name_version_and_json() -> None:
    types = EventTypes()
    types.register(Renamed, name="renamed", version=3, upcasters={1: dict, 2: dict})
    event = types.new_event(
        Renamed(name="n", when=MOMENT), id="i", metadata={"by": "me"}, occurred_at=MOMENT
    )
    assert event.name == "renamed"
    assert event.payload == {"name": "n", "when": "2024-01-02T03:04:05Z"}
    assert event.metadata == {"by": "me", "tidings:schema_version": 3}
    assert (event.id, event.occurred_at) == ("i", MOMENT)
    with pytest.raises(ValidationError, match="metadata must be a mapping"):
        types.new_event(Renamed(name="n", when=MOMENT), metadata=[1])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="not a registered event type"):
        types.new_event(Moved("x"))


def test_a_dataclass_that_is_not_json_names_the_field() -> None:
    @dataclass
    class Odd:
        value: object

    types = EventTypes()
    types.register(Odd, name="odd")
    with pytest.raises(ValidationError, match=r"events\[0\]\.payload\.value"):
        types.new_event(Odd({1, 2}), field="events[0]")


def test_an_upcaster_that_fails_is_a_decoding_error_naming_the_event() -> None:
    def broken(payload: Any) -> Any:
        raise KeyError("cents")

    types = EventTypes()
    types.register(Moved, name="moved", version=2, upcasters={1: broken})
    with pytest.raises(EventDecodingError, match=r"'e' \('moved' version 1\).*cents") as raised:
        types.decode(_stored("moved", {"x": 1}))
    assert (raised.value.event_id, raised.value.version) == ("e", 1)


def test_a_version_older_than_the_oldest_upcaster_is_a_decoding_error() -> None:
    types = EventTypes()
    types.register(Moved, name="moved", version=3, upcasters={2: dict})
    with pytest.raises(EventDecodingError, match="the oldest is from version 2"):
        types.decode(_stored("moved", {"to": "x"}))


def test_a_stored_version_must_be_an_int() -> None:
    types = EventTypes()
    types.register(Moved, name="moved")
    with pytest.raises(EventDecodingError, match="is not a version"):
        types.decode(_stored("moved", {"to": "x"}, {"tidings:schema_version": "2"}))


def test_a_payload_that_is_not_an_object_cannot_become_a_dataclass() -> None:
    types = EventTypes()
    types.register(Moved, name="moved", version=2, upcasters={1: lambda p: [p]})
    with pytest.raises(EventDecodingError, match="expected a JSON object"):
        types.decode(_stored("moved", {"to": "x"}))


def test_an_unknown_name_raises_for_data_of_too() -> None:
    with pytest.raises(UnknownEventTypeError, match="'nope'"):
        EventTypes().data_of(_stored("nope", {}))


def test_the_default_registry_serves_publishes_without_types() -> None:
    @tidings.event_type("test-registry-default-moved")
    @dataclass(frozen=True)
    class DefaultMoved:
        to: str

    assert tidings.default_event_types().type_of("test-registry-default-moved") is DefaultMoved
    store = tidings.connect("memory://")
    stream = store.stream(category="c", stream="s")
    stream.publish(events=[DefaultMoved("x"), NewEvent(name="plain")])
    typed = stream.read(types=tidings.default_event_types(), on_unknown="untyped")
    assert isinstance(typed[0], TypedEvent)
    assert typed[0].data == DefaultMoved("x")


def test_typed_reads_check_their_arguments_before_any_io() -> None:
    store = tidings.connect("memory://")
    scope = store.log()
    with pytest.raises(ValidationError, match="types"):
        scope.iterate(types={"moved": Moved})  # type: ignore[call-overload]
    with pytest.raises(ValidationError, match="on_unknown"):
        scope.subscribe(types=EventTypes(), on_unknown="ignore")  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("metadata", "version"),
    [
        ('{"tidings:schema_version":12,"by":"x"}', 12),  # first key: read without decoding
        ('{"tidings:schema_version":3}', 3),
        ('{"by":"x","tidings:schema_version":2}', 2),  # elsewhere: decoded
        ('{"by":"\\"tidings:schema_version\\":5"}', 1),  # only inside a string
        ("{}", 1),
        ("[]", 1),
    ],
)
def test_the_stored_version_is_read_from_the_metadata(metadata: str, version: int) -> None:
    from tidings._typed.registry import stored_version
    from tidings.adapters import JsonText

    assert stored_version(_stored("moved", {"to": "x"}, JsonText(metadata))) == version
