"""Typed projectors: dispatch by annotated type, handler checks, typed states."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

import tidings
from tidings import EventTypes, NewEvent, Projector, StoredEvent, ValidationError, field


@dataclass(frozen=True)
class Added:
    amount: int


@dataclass(frozen=True)
class Removed:
    amount: int


class Total(BaseModel):
    total: int = 0
    changes: int = 0


def _types() -> EventTypes:
    types = EventTypes()
    types.register(Added, name="added")
    types.register(Removed, name="removed")
    return types


def _events(store: tidings.EventStore, types: EventTypes) -> tidings.StreamScope:
    stream = store.stream(category="c", stream="s")
    stream.publish(events=[Added(5), Removed(2), NewEvent(name="noted")], types=types)
    return stream


def add(state: Total, event: Added) -> Total:
    return Total(total=state.total + event.amount, changes=state.changes + 1)


def remove(state: Total, event: Removed) -> Total:
    return Total(total=state.total - event.amount, changes=state.changes + 1)


def test_handlers_given_in_a_list_are_dispatched_by_their_annotation() -> None:
    types = _types()
    store = tidings.connect("memory://")
    stream = _events(store, types)
    projector = Projector([add, remove], types=types, initial_state=Total, on_missing="ignore")
    assert projector.project(stream).state == Total(total=3, changes=2)


def test_a_mapping_mixes_typed_and_named_handlers() -> None:
    types = _types()
    store = tidings.connect("memory://")
    stream = _events(store, types)
    noted: list[StoredEvent] = []

    def note(state: Total, event: StoredEvent) -> Total:
        noted.append(event)
        return state

    handlers: dict[str, Callable[[Any, Any], Any]] = {
        "anything": add,
        "removed": remove,
        "noted": note,
    }
    projector = Projector(handlers, types=types, initial_state=Total)
    assert projector.project(stream).state == Total(total=3, changes=2)
    assert [event.name for event in noted] == ["noted"]


def test_a_list_handler_must_be_typed_and_types_unique() -> None:
    def untyped(state: Any, event: Any) -> Any:
        return state

    with pytest.raises(ValidationError, match=r"handlers\[1\].*annotate its event parameter"):
        Projector([add, untyped], types=_types())
    with pytest.raises(ValidationError, match="a second handler for Added"):
        Projector([add, add], types=_types())
    with pytest.raises(ValidationError, match="mapping or a list"):
        Projector("add", types=_types())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="types"):
        Projector([add], types={})  # type: ignore[arg-type]


def test_a_handler_whose_annotation_cannot_be_resolved_matches_by_class_name() -> None:
    types = _types()

    def local(state: Total, event: Added) -> Total:
        return add(state, event)

    local.__annotations__["event"] = "Added"  # a name only, as a local class would give
    projector = Projector([local], types=types, initial_state=Total, on_missing="ignore")
    store = tidings.connect("memory://")
    assert projector.project(_events(store, types)).state.total == 5


def test_a_model_state_is_stored_as_json_and_restored_on_resume(tmp_path: Any) -> None:
    types = _types()
    store = tidings.connect(f"sqlite:///{tmp_path / 'p.db'}")
    stream = _events(store, types)

    class Totals(Projector):
        name = "totals"

        def plus(self, state: Total, event: Added) -> Total:
            return add(state, event)

        def minus(self, state: Total, event: Removed) -> Total:
            return remove(state, event)

    projector = Totals(types=types, initial_state=Total, on_missing="ignore")
    assert store.projections.project(projector, stream).state == Total(total=3, changes=2)
    assert store.projections.search(where=[field("state.total") == 3]).items[0].id == "s"
    stream.publish(events=[Added(10)], types=types)
    assert store.projections.project(projector, stream).state == Total(total=13, changes=3)
    store.projections.save(
        tidings.Projection(name="totals", id="s", state={"total": "many"}, source=stream.identifier)
    )
    with pytest.raises(ValidationError, match="not a valid Total"):
        store.projections.project(projector, stream)
