"""Stored events decode only what is used: reads, name filters and projections that
skip events leave payloads as stored text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import tidings
from tidings import EventStore, NewEvent, Projector, StoredEvent
from tidings._model.events import _UNDECODED
from tidings.adapters import WriteCondition


def _decoded(event: StoredEvent) -> bool:
    return event._payload is not _UNDECODED  # type: ignore[attr-defined]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'lazy.db'}"
    with tidings.connect(url) as opened:
        stream = opened.stream(category="c", stream="s")
        stream.publish(
            events=[
                NewEvent(name="wanted" if index % 10 == 0 else "skipped", payload={"i": index})
                for index in range(30)
            ]
        )
        yield opened


def test_a_read_decodes_nothing_until_a_payload_is_used(store: EventStore) -> None:
    events = store.log().read()
    assert not any(_decoded(event) for event in events)
    assert events[3].payload == {"i": 3}
    assert [_decoded(event) for event in events[2:5]] == [False, True, False]
    latest = store.log().latest()
    assert latest is not None
    assert not _decoded(latest)


def test_a_projection_decodes_only_the_events_it_handles(store: EventStore) -> None:
    seen: list[StoredEvent] = []

    def wanted(state: dict[str, int], event: StoredEvent) -> dict[str, int]:
        seen.append(event)
        return {"sum": state.get("sum", 0) + event.payload["i"]}

    projector = Projector({"wanted": wanted}, on_missing="ignore")
    events = store.log().read()
    projection = projector.project(events)
    assert projection.state == {"sum": 0 + 10 + 20}
    assert [event for event in events if _decoded(event)] == seen


def test_a_name_filter_hands_out_undecoded_events(store: EventStore) -> None:
    events = store.log().read(names=["wanted"])
    assert [event.sequence_number for event in events] == [1, 11, 21]
    assert not any(_decoded(event) for event in events)


def test_memory_events_decoded_by_one_reader_are_not_shared_with_another() -> None:
    store = tidings.connect("memory://")
    stream = store.stream(category="c", stream="s")
    stream.publish(events=[NewEvent(name="e", payload={"items": [1]})])
    first = stream.read()[0]
    first.payload["items"].append(2)
    assert stream.read()[0].payload == {"items": [1]}


class _Peeks(WriteCondition):
    """A custom condition that mutates the last event it is shown."""

    def holds_for(self, last_event: StoredEvent | None) -> bool:
        if last_event is not None:
            last_event.payload["items"].append("vandalised")
        return True

    def describe(self) -> str:
        return "anything"


def test_a_custom_condition_gets_a_copy_of_the_last_event() -> None:
    store = tidings.connect("memory://")
    stream = store.stream(category="c", stream="s")
    stream.publish(events=[NewEvent(name="e", payload={"items": [1]})])
    stream.publish(events=[NewEvent(name="e")], condition=_Peeks())
    assert stream.read()[0].payload == {"items": [1]}
