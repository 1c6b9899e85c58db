"""Builders for events in tests: sensible random defaults, override what matters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Self

from tidings import NewEvent, StoredEvent
from tidings_testkit.generators import (
    random_category,
    random_datetime,
    random_event_id,
    random_event_name,
    random_payload,
    random_stream,
)

__all__ = ["NewEventBuilder", "StoredEventBuilder"]


class NewEventBuilder:
    """Builds :class:`NewEvent` values: ``NewEventBuilder().with_name("x").build()``."""

    def __init__(self) -> None:
        observed = random_datetime()
        self._fields: dict[str, Any] = {
            "name": random_event_name(),
            "payload": random_payload(),
            "metadata": {},
            "observed_at": observed,
            "occurred_at": observed,
            "id": None,
        }

    def _with(self, **changes: Any) -> Self:
        clone = type(self).__new__(type(self))
        clone._fields = {**self._fields, **changes}
        return clone

    def with_name(self, name: str) -> Self:
        return self._with(name=name)

    def with_payload(self, payload: Any) -> Self:
        return self._with(payload=payload)

    def with_metadata(self, metadata: Any) -> Self:
        return self._with(metadata=metadata)

    def with_occurred_at(self, occurred_at: datetime) -> Self:
        return self._with(occurred_at=occurred_at)

    def with_observed_at(self, observed_at: datetime) -> Self:
        return self._with(observed_at=observed_at)

    def with_id(self, event_id: str | None = None) -> Self:
        """Give the event an id (a random one by default), making it retryable."""
        return self._with(id=event_id if event_id is not None else random_event_id())

    def build(self) -> NewEvent:
        return NewEvent(**self._fields)


class StoredEventBuilder:
    """Builds :class:`StoredEvent` values for tests of code that consumes events."""

    def __init__(self) -> None:
        observed = random_datetime()
        self._event = StoredEvent(
            id=random_event_id(),
            name=random_event_name(),
            category=random_category(),
            stream=random_stream(),
            position=0,
            sequence_number=1,
            payload=random_payload(),
            metadata={},
            occurred_at=observed,
            observed_at=observed,
            recorded_at=datetime.now(UTC),
        )

    def with_(self, **changes: Any) -> Self:
        """A copy with any :class:`StoredEvent` fields replaced."""
        clone = type(self).__new__(type(self))
        clone._event = replace(self._event, **changes)
        return clone

    def with_name(self, name: str) -> Self:
        return self.with_(name=name)

    def with_stream(self, category: str, stream: str) -> Self:
        return self.with_(category=category, stream=stream)

    def with_position(self, position: int) -> Self:
        return self.with_(position=position)

    def with_sequence_number(self, sequence_number: int) -> Self:
        return self.with_(sequence_number=sequence_number)

    def with_payload(self, payload: Any) -> Self:
        return self.with_(payload=payload)

    def build(self) -> StoredEvent:
        return self._event
