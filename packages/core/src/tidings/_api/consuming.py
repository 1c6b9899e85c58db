"""What both faces of consumers share: retry policy, checkpoint records, parked events.

A consumer's checkpoint is stored as a small projection (name :data:`CHECKPOINTS`, id the
consumer's name) in the store's own projection storage, so it lives beside the events
and, for a projection consumer, is saved in the same atomic step as the projection.
Events whose handler keeps failing can be parked in a dead-letter stream of category
:data:`PARKED`, one stream per consumer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from tidings._model.checkpoint import Checkpoint
from tidings._model.events import NewEvent, StoredEvent
from tidings._model.identifiers import Identifier
from tidings._model.names import validate_name
from tidings._model.projection import Projection
from tidings.errors import ValidationError

__all__ = [
    "CHECKPOINTS",
    "PARKED",
    "RetryPolicy",
    "checkpoint_of",
    "checkpoint_record",
    "parked_event",
    "replayed_event",
]

CHECKPOINTS = "$checkpoints"
"""The projection name under which consumers keep their checkpoints."""
PARKED = "$parked"
"""The category of dead-letter streams: one stream per consumer."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """What a consumer does when its handler raises.

    The handler is tried ``attempts`` times in all, waiting ``backoff`` seconds after the
    first failure and twice as long after each next one (at most ``max_backoff``). Then
    ``on_failure`` decides: ``"stop"`` re-raises and leaves the checkpoint before the
    event (the default: nothing is lost), ``"skip"`` goes on, and ``"park"`` writes the
    event's coordinates and the error to the consumer's dead-letter stream, then goes on.
    """

    attempts: int = 3
    backoff: float = 0.1
    max_backoff: float = 5.0
    on_failure: Literal["stop", "skip", "park"] = "stop"

    def __post_init__(self) -> None:
        if not isinstance(self.attempts, int) or isinstance(self.attempts, bool):
            raise ValidationError("attempts", f"must be an int >= 1, got {self.attempts!r}")
        if not 1 <= self.attempts <= 1000:
            raise ValidationError("attempts", f"must be from 1 to 1000, got {self.attempts}")
        for field in ("backoff", "max_backoff"):
            value = getattr(self, field)
            if (
                not isinstance(value, int | float)
                or isinstance(value, bool)
                or not math.isfinite(value)
                or not 0 <= value <= 3600
            ):
                raise ValidationError(field, f"must be seconds from 0 to 3600, got {value!r}")
        if self.on_failure not in ("stop", "skip", "park"):
            raise ValidationError(
                "on_failure", f"must be 'stop', 'skip' or 'park', got {self.on_failure!r}"
            )

    def delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failure."""
        return float(min(self.max_backoff, self.backoff * 2 ** (failures - 1)))


def checkpoint_record(
    consumer: str, checkpoint: Checkpoint, source: Identifier | None = None
) -> Projection:
    """The stored form of a consumer's checkpoint; the source it follows is kept with
    it, so that ``tidings consumers`` can tell how far behind it is."""
    return Projection(
        name=CHECKPOINTS, id=consumer, state={"checkpoint": str(checkpoint)}, source=source
    )


def checkpoint_of(record: Projection | None) -> Checkpoint | None:
    """The checkpoint a record holds (None: the consumer starts at the beginning)."""
    if record is None:
        return None
    return Checkpoint.parse(str(record.state["checkpoint"]))


def parked_event(consumer: str, event: StoredEvent, error: BaseException) -> NewEvent:
    """The dead-letter record of an event whose handler kept failing. Its id is derived
    from the consumer and the event, so parking the same event again is a no-op retry."""
    return NewEvent(
        id=f"{PARKED}:{consumer}:{event.id}",
        name="parked",
        payload={
            "event": _coordinates(event),
            "error": {"type": type(error).__name__, "message": str(error)},
        },
    )


def replayed_event(consumer: str, parked: StoredEvent) -> NewEvent:
    """The record that a parked event was handled after all."""
    return NewEvent(
        id=f"{PARKED}:{consumer}:replayed:{parked.id}",
        name="replayed",
        payload={"parked": parked.id},
    )


def _coordinates(event: StoredEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "name": event.name,
        "category": event.category,
        "stream": event.stream,
        "position": event.position,
        "sequence_number": event.sequence_number,
    }


def consumer_name(name: object) -> str:
    """A consumer's name follows the rules of stream names (it names its streams)."""
    return validate_name(name, "name")
