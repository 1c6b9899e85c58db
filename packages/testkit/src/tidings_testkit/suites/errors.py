"""Contract §4, errors: one hierarchy, and nothing changes when a call is rejected."""

from __future__ import annotations

import pytest

import tidings
from tidings import (
    EventStore,
    NewEvent,
    StoreClosedError,
    TidingsError,
    ValidationError,
    position_is,
)
from tidings_testkit.suite import AdapterSuite
from tidings_testkit.suites._support import events

__all__ = ["ErrorSuite"]


class ErrorSuite(AdapterSuite):
    """Rules 18-19: every error is a TidingsError; invalid input is rejected before I/O."""

    def test_every_public_error_derives_from_tidings_error(self) -> None:
        errors = [
            value
            for name in tidings.__all__
            if isinstance(value := getattr(tidings, name), type)
            and issubclass(value, Exception)
            and not issubclass(value, Warning)  # warnings (PluginNameWarning) are not errors
        ]
        assert len(errors) >= 10
        assert all(issubclass(error, TidingsError) for error in errors)

    def test_validation_errors_are_value_errors_that_name_the_field(self) -> None:
        with pytest.raises(ValueError, match="payload") as raised:
            NewEvent(name="e", payload={"x": float("nan")})
        assert isinstance(raised.value, ValidationError)
        assert raised.value.field == "payload.x"

    def test_a_batch_with_one_invalid_event_writes_nothing(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        with pytest.raises(ValidationError, match=r"events\[1\]"):
            stream.publish(events=[NewEvent(name="ok"), {"name": "not-an-event"}])
        assert store.log().read() == []

    def test_a_condition_that_is_not_a_write_condition_is_rejected(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        with pytest.raises(ValidationError, match="condition"):
            stream.publish(events=events(1), condition=0)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="position"):
            stream.publish(events=events(1), condition=position_is(-1))
        assert store.log().read() == []

    def test_events_must_be_a_sequence_of_new_events(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        with pytest.raises(ValidationError, match="events"):
            stream.publish(events=NewEvent(name="e"))  # type: ignore[arg-type]
        assert store.log().read() == []

    def test_a_closed_store_refuses_to_work(self, store: EventStore) -> None:
        store.close()
        store.close()
        with pytest.raises(StoreClosedError):
            store.log().read()
        with pytest.raises(StoreClosedError):
            store.stream(category="c", stream="s").publish(events=events(1))
