"""The requests the store hands an adapter, validated before any I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from tidings._model.checkpoint import Checkpoint
from tidings._model.conditions import NoCondition, WriteCondition
from tidings._model.events import NewEvent, StoredEvent
from tidings._model.identifiers import Identifier, StreamIdentifier

__all__ = ["FollowPage", "FollowRequest", "ScanRequest", "StreamBatch"]


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


@dataclass(frozen=True, slots=True)
class FollowRequest:
    """The next page of a subscription: up to ``limit`` events of ``target`` strictly
    after ``after`` (None: from the beginning) in delivery order, optionally only those
    with one of ``names``."""

    target: Identifier
    after: Checkpoint | None
    limit: int
    names: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class FollowPage:
    """What :meth:`~tidings.adapters.StorageAdapter.follow` found: each event with its
    checkpoint, in delivery order, and where the next page starts (past events that the
    name filter skipped, where the adapter knows it; else the last event's checkpoint)."""

    entries: tuple[tuple[StoredEvent, Checkpoint], ...] = ()
    resume: Checkpoint | None = None
    pending: bool = False
    """True when the page is empty only because committed events wait behind a
    transaction still running: a subscription that runs until caught up waits for them."""

    @classmethod
    def in_sequence_order(cls, events: list[StoredEvent]) -> FollowPage:
        """The page of an adapter whose sequence numbers are committed in order."""
        entries = tuple((e, Checkpoint.after_sequence_number(e.sequence_number)) for e in events)
        return cls(entries, entries[-1][1] if entries else None)
