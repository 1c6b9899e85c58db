"""Stored events decode only what is used: reads, name filters and projections that
skip events leave payloads as stored text."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tidings
from tidings import EventStore, NewEvent, Projector, StoredEvent
from tidings._model import events as event_module
from tidings._model.jsonvalues import decode_json
from tidings.adapters import WriteCondition


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The JSON texts stored events decode, in order."""
    texts: list[str] = []
    original = decode_json

    def counting(text: str | bytes) -> Any:
        texts.append(text if isinstance(text, str) else text.decode())
        return original(text)

    monkeypatch.setattr(event_module, "decode_json", counting)
    return texts


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


def test_a_read_decodes_nothing_until_a_payload_is_used(
    store: EventStore, decoded: list[str]
) -> None:
    events = store.log().read()
    latest = store.log().latest()
    assert latest is not None
    assert latest.name == "skipped"
    assert decoded == []
    assert events[3].payload == {"i": 3}
    assert decoded == ['{"i":3}']


def test_a_projection_decodes_only_the_events_it_handles(
    store: EventStore, decoded: list[str]
) -> None:
    seen: list[StoredEvent] = []

    def wanted(state: dict[str, int], event: StoredEvent) -> dict[str, int]:
        seen.append(event)
        return {"sum": state.get("sum", 0) + event.payload["i"]}

    projector = Projector({"wanted": wanted}, on_missing="ignore")
    projection = projector.project(store.log().read())
    assert projection.state == {"sum": 0 + 10 + 20}
    assert [event.sequence_number for event in seen] == [1, 11, 21]
    assert decoded == ['{"i":0}', '{"i":10}', '{"i":20}']


def test_a_name_filter_hands_out_undecoded_events(store: EventStore, decoded: list[str]) -> None:
    events = store.log().read(names=["wanted"])
    assert [event.sequence_number for event in events] == [1, 11, 21]
    assert decoded == []


def test_memory_events_decoded_by_one_reader_are_not_shared_with_another() -> None:
    store = tidings.connect("memory://")
    stream = store.stream(category="c", stream="s")
    stream.publish(events=[NewEvent(name="e", payload={"items": [1]})])
    first = stream.read()[0]
    assert first is stream.read()[0]  # the store's own event, not a copy
    first.payload["items"].append(2)
    assert first.payload == {"items": [1]}
    assert stream.read()[0].payload == {"items": [1]}
    assert pickle.loads(pickle.dumps(first)) == first
    detached = first.detached()
    detached.payload["items"].append(2)
    assert detached.payload == {"items": [1, 2]}  # an ordinary event keeps what it decoded


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
