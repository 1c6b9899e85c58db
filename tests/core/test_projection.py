from __future__ import annotations

from typing import Any

import pytest

import tidings
from tidings import (
    CategoryIdentifier,
    LogIdentifier,
    MissingHandlerError,
    NewEvent,
    Projector,
    State,
    StoredEvent,
    StreamIdentifier,
)
from tidings._model.projection import handler_name


@pytest.mark.parametrize("name", ["profile-created", "ProfileCreated", "profile_created"])
def test_event_names_normalise_to_snake_case_handlers(name: str) -> None:
    assert handler_name(name) == "profile_created"


def test_state_merge_returns_a_new_immutable_state() -> None:
    state = State({"a": 1})
    merged = state.merge({"b": 2})
    assert state == {"a": 1}
    assert merged == {"a": 1, "b": 2}
    with pytest.raises(TypeError):
        merged["c"] = 3  # type: ignore[index]


def test_the_seed_readme_example_runs() -> None:
    store = tidings.connect("memory://")
    stream = store.stream(category="profiles", stream="joe.bloggs")
    stream.publish(
        events=[
            NewEvent(
                name="profile-created",
                payload={"name": "Joe Bloggs", "email": "joe.bloggs@example.com"},
            )
        ]
    )
    stream.publish(events=[NewEvent(name="date-of-birth-set", payload={"dob": "1992-07-10"})])
    projector = Projector(
        handlers={
            "profile-created": lambda state, event: state.merge(
                {"name": event.payload["name"], "email": event.payload["email"]}
            ),
            "date-of-birth-set": lambda state, event: state.merge({"dob": event.payload["dob"]}),
        }
    )
    profile = projector.project({}, stream.read())
    assert profile.state == {
        "name": "Joe Bloggs",
        "email": "joe.bloggs@example.com",
        "dob": "1992-07-10",
    }
    assert (profile.position, profile.sequence_number) == (1, 2)
    assert profile.source == StreamIdentifier("profiles", "joe.bloggs")


class Counter(Projector):
    def __init__(self, **options: Any) -> None:
        super().__init__(initial_state=lambda: 0, **options)

    def thing_happened(self, state: int, event: StoredEvent) -> int:
        return state + event.payload["by"]


def _events(store_url: str = "memory://") -> list[StoredEvent]:
    store = tidings.connect(store_url)
    store.stream(category="c", stream="a").publish(
        events=[NewEvent(name="ThingHappened", payload={"by": 2})]
    )
    store.stream(category="c", stream="b").publish(
        events=[NewEvent(name="thing-happened", payload={"by": 3}), NewEvent(name="other")]
    )
    return store.log().read()


def test_class_based_projectors_dispatch_to_methods() -> None:
    projection = Counter(on_missing="ignore").project(_events())
    assert projection.state == 5
    assert projection.name == "Counter"
    assert projection.source == CategoryIdentifier("c")


def test_a_missing_handler_raises_by_default() -> None:
    with pytest.raises(MissingHandlerError, match="other"):
        Counter().project(_events())


def test_projecting_nothing_returns_the_initial_state() -> None:
    projection = Counter().project([])
    assert (projection.state, projection.position, projection.source) == (0, None, None)


def test_the_source_of_a_scope_is_its_identifier() -> None:
    store = tidings.connect("memory://")
    assert Counter().project(store.log()).source == LogIdentifier()


def test_on_missing_must_be_raise_or_ignore() -> None:
    with pytest.raises(ValueError, match="on_missing"):
        Projector(on_missing="skip")  # type: ignore[arg-type]


def test_handler_keys_that_normalise_alike_are_rejected() -> None:
    with pytest.raises(ValueError, match="profile_created"):
        Projector(handlers={"profile-created": lambda s, e: s, "ProfileCreated": lambda s, e: s})
