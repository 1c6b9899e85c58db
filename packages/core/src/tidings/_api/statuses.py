"""What ``store.consumers()`` reports, shared by both faces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tidings._model.checkpoint import Checkpoint
from tidings._model.identifiers import Identifier

__all__ = ["LAG_LIMIT", "ConsumerStatus", "PartitionStatus"]

LAG_LIMIT = 1_000_000
"""Lag is counted up to this many events (a lag of this much means "at least")."""


@dataclass(frozen=True, slots=True)
class PartitionStatus:
    """One partition of a group: who holds it, where it stands, how far behind."""

    partition: int
    owner: str | None
    checkpoint: Checkpoint | None
    lag: int


@dataclass(frozen=True, slots=True)
class ConsumerStatus:
    """A consumer or a consumer group, as ``tidings consumers`` lists it.

    ``checkpoint`` is where it resumes (for a group, its oldest partition's); ``lag``
    counts the source's events after it, and ``lag_seconds`` is the age of the oldest of
    them (0 when none). ``members`` are a group's members that renewed within twice
    their ttl; ``parked`` counts parked events not replayed.
    """

    name: str
    kind: Literal["consumer", "group"]
    source: Identifier | None
    checkpoint: Checkpoint | None
    lag: int
    lag_seconds: float
    parked: int
    members: tuple[str, ...] = ()
    partitions: tuple[PartitionStatus, ...] = ()
