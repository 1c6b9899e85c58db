"""Events as callers write them (:class:`NewEvent`) and as the store returns them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tidings._model.clock import current_clock
from tidings._model.identifiers import StreamIdentifier
from tidings._model.jsonvalues import JsonValue, normalise_json
from tidings._model.names import validate_name
from tidings.errors import ValidationError

__all__ = ["NewEvent", "StoredEvent", "to_utc"]


def to_utc(value: object, field: str) -> datetime:
    """Return an aware datetime normalised to UTC; naive datetimes are ambiguous."""
    if not isinstance(value, datetime):
        raise ValidationError(field, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(field, "must be timezone-aware; naive datetimes are ambiguous")
    try:
        return value.astimezone(UTC)
    except OverflowError as error:  # 9999-12-31 at UTC-5 is in the year 10000 at UTC
        raise ValidationError(
            field, f"{value.isoformat()} is outside the years 1-9999 once converted to UTC"
        ) from error


def _validate_id(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("id", f"must be a str, got {type(value).__name__}")
    return validate_name(value, "id")


@dataclass(frozen=True, slots=True, kw_only=True)
class NewEvent:
    """An event to publish.

    Validated on construction, so a bad event fails where it is made, before any I/O.
    ``observed_at`` defaults to now (from the injectable clock), ``occurred_at`` to
    ``observed_at``, and ``id`` to one the store generates.
    """

    name: str
    payload: JsonValue = field(default_factory=dict)
    metadata: JsonValue = field(default_factory=dict)
    occurred_at: datetime = None  # type: ignore[assignment]
    observed_at: datetime = None  # type: ignore[assignment]
    id: str | None = None

    def __post_init__(self) -> None:
        validate_name(self.name, "name")
        setter = object.__setattr__
        setter(self, "payload", normalise_json(self.payload, "payload"))
        setter(self, "metadata", normalise_json(self.metadata, "metadata"))
        observed = current_clock().now() if self.observed_at is None else self.observed_at
        observed = to_utc(observed, "observed_at")
        occurred = observed if self.occurred_at is None else to_utc(self.occurred_at, "occurred_at")
        setter(self, "observed_at", observed)
        setter(self, "occurred_at", occurred)
        setter(self, "id", _validate_id(self.id))


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredEvent:
    """An event as the store holds it: a :class:`NewEvent` plus where and when it was stored.

    Adapters build these from trusted rows, so construction does not re-validate.
    """

    id: str
    name: str
    category: str
    stream: str
    position: int
    sequence_number: int
    payload: JsonValue
    metadata: JsonValue
    occurred_at: datetime
    observed_at: datetime
    recorded_at: datetime

    @property
    def identifier(self) -> StreamIdentifier:
        """The stream this event belongs to."""
        return StreamIdentifier(self.category, self.stream)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict, with datetimes as ISO 8601 strings."""
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "stream": self.stream,
            "position": self.position,
            "sequence_number": self.sequence_number,
            "payload": self.payload,
            "metadata": self.metadata,
            "occurred_at": self.occurred_at.isoformat(),
            "observed_at": self.observed_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
        }
