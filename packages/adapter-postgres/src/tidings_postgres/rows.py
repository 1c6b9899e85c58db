"""Conversion between events and rows, in both directions; I/O-free.

Payload and metadata are stored as JSON text written by the core codec: measured faster
than ``jsonb`` both ways, and exact, where ``jsonb`` turns ``1e16`` into an int and
``-0.0`` into ``0.0`` (see the README).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from tidings.adapters import (
    StoredEvent,
    StreamBatch,
    assign_ids,
    encode_json,
    stored_batch,
    stored_event_from_json,
)
from tidings_postgres.arrays import Bigints, Booleans, Integers, Texts, Timestamps
from tidings_postgres.conditions import ALWAYS, CompiledCondition
from tidings_postgres.schema import EVENT_COLUMNS

__all__ = [
    "EventRow",
    "OutcomeRow",
    "PublishCall",
    "decode_event",
    "last_sequence_number",
    "stored_events",
]


class EventRow(NamedTuple):
    """An event's columns by name (``schema.EVENT_COLUMNS``), where a few of them are
    wanted without decoding the event."""

    id: str
    name: str
    category: str
    stream: str
    position: int
    sequence_number: int
    payload: str
    metadata: str
    occurred_at: datetime
    observed_at: datetime
    recorded_at: datetime


if EventRow._fields != EVENT_COLUMNS:  # pragma: no cover - a schema change forgot this
    raise ImportError("EventRow must name schema.EVENT_COLUMNS, in order")

_SEQUENCE_NUMBER = EVENT_COLUMNS.index("sequence_number")


class OutcomeRow(NamedTuple):
    """One row of the append function: what happened, the batch it concerns (1-based, or
    None), and an event's columns (all None for an unmet condition on an empty stream)."""

    kind: str
    batch: int | None
    event: EventRow

    @classmethod
    def of(cls, row: Sequence[Any]) -> OutcomeRow:
        return cls(row[0], row[1], EventRow._make(row[2:]))


def last_sequence_number(rows: Sequence[Sequence[Any]]) -> int:
    """The sequence number of the last event row of a page: where the next page starts."""
    return int(rows[-1][_SEQUENCE_NUMBER])


def decode_event(row: Sequence[Any], start: int = 0) -> StoredEvent:
    """The event in ``row[start:]``, columns in the order of ``schema.EVENT_COLUMNS``."""
    (
        event_id,
        name,
        category,
        stream,
        position,
        sequence_number,
        payload,
        metadata,
        occurred_at,
        observed_at,
        recorded_at,
    ) = row[start : start + 11]
    return stored_event_from_json(
        event_id,
        name,
        category,
        stream,
        position,
        sequence_number,
        payload,  # JSON text, decoded when first used
        metadata,
        occurred_at,
        observed_at,
        recorded_at,
    )


@dataclass(frozen=True, slots=True)
class PublishCall:
    """The arguments of one call of the append function, for batches of one category.

    ``conditions`` holds each batch's compiled condition; the general path passes
    :data:`~tidings_postgres.conditions.ALWAYS` after checking the conditions itself.
    """

    batches: Sequence[StreamBatch]
    conditions: Sequence[CompiledCondition]
    ids: Sequence[list[str]]

    @classmethod
    def build(
        cls, batches: Sequence[StreamBatch], conditions: Sequence[CompiledCondition] | None = None
    ) -> PublishCall:
        """Assign ids to the events that have none."""
        chosen = conditions if conditions is not None else [ALWAYS] * len(batches)
        return cls(batches, chosen, [assign_ids(batch.events) for batch in batches])

    def parameters(self, level: str) -> tuple[object, ...]:
        """The positional parameters of :attr:`Statements.publish`; batch numbers are 1-based."""
        positions: list[int] = []
        position_batches: list[int] = []
        event_batches: list[int] = []
        for number, condition in enumerate(self.conditions, start=1):
            positions.extend(condition.positions)
            position_batches.extend([number] * len(condition.positions))
        for number, batch in enumerate(self.batches, start=1):
            event_batches.extend([number] * len(batch.events))
        events = [event for batch in self.batches for event in batch.events]
        return (
            level,
            self.batches[0].stream.category,
            Texts([batch.stream.stream for batch in self.batches]),
            Booleans([condition.empty_ok for condition in self.conditions]),
            Booleans([condition.any_position for condition in self.conditions]),
            Bigints(positions),
            Integers(position_batches),
            Texts([event_id for batch in self.batches for event_id in batch.ids]),
            Integers(event_batches),
            Texts([event_id for ids in self.ids for event_id in ids]),
            Texts([event.name for event in events]),
            Texts([encode_json(event.payload) for event in events]),
            Texts([encode_json(event.metadata) for event in events]),
            Timestamps([event.occurred_at for event in events]),
            Timestamps([event.observed_at for event in events]),
        )


def stored_events(
    call: PublishCall, numbers: dict[str, tuple[int, int]], recorded_at: datetime
) -> list[list[StoredEvent]]:
    """The stored form of each batch, given each new id's (position, sequence number)."""
    return [
        stored_batch(batch, ids, [numbers[event_id] for event_id in ids], recorded_at)
        for batch, ids in zip(call.batches, call.ids)
    ]
