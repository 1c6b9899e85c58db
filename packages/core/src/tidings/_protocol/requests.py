"""The requests the store hands an adapter, validated before any I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from tidings._model.conditions import NoCondition, WriteCondition
from tidings._model.events import NewEvent
from tidings._model.identifiers import Identifier, StreamIdentifier

__all__ = ["ScanRequest", "StreamBatch"]


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """A validated scan: events of ``target`` after a sequence number, optionally filtered.

    ``after`` keeps events whose sequence number is strictly greater; ``limit`` caps how
    many are yielded (never 0: the store answers that itself); ``names`` keeps only those
    event names. Adapters apply all three natively, not by filtering a full read.
    """

    target: Identifier
    after: int | None = None
    limit: int | None = None
    names: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class StreamBatch:
    """Events to append to one stream, atomically, if ``condition`` holds."""

    stream: StreamIdentifier
    events: tuple[NewEvent, ...]
    condition: WriteCondition = field(default_factory=NoCondition)

    @property
    def ids(self) -> list[str]:
        """The ids the caller gave, in order."""
        return [event.id for event in self.events if event.id is not None]

    @property
    def fully_identified(self) -> bool:
        """Whether every event carries a caller-given id, so the batch can be retried."""
        return bool(self.events) and all(event.id is not None for event in self.events)
