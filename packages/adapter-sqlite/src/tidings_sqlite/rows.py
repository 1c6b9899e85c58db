"""The one place events become rows and rows become events.

Timestamps are stored as INTEGER microseconds since the Unix epoch: exact, compact,
ordered and fast to convert, so a stored event reads back equal, field for field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from tidings.adapters import (
    StoredEvent,
    stored_event_from_json,
)

__all__ = [
    "COLUMNS",
    "Row",
    "event_to_row",
    "events_to_rows",
    "from_micros",
    "row_to_event",
    "to_micros",
]

COLUMNS = (
    "sequence_number",
    "id",
    "category",
    "stream",
    "position",
    "name",
    "payload",
    "metadata",
    "occurred_at",
    "observed_at",
    "recorded_at",
)
"""The events table's columns, in the order rows use."""

Row = tuple[int, str, str, str, int, str, str, str, int, int, int]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime, exactly."""
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """The UTC datetime ``micros`` microseconds after the epoch, exactly."""
    return _EPOCH + timedelta(microseconds=micros)


def event_to_row(event: StoredEvent) -> Row:
    """The row that stores ``event``."""
    return events_to_rows((event,))[0]


def events_to_rows(events: Iterable[StoredEvent]) -> list[Row]:
    """The rows that store ``events``, as :func:`event_to_row` makes them, converting a
    timestamp only once when events share it (one publish shares ``recorded_at``)."""
    rows: list[Row] = []
    last_recorded: datetime | None = None
    recorded_micros = 0
    for event in events:
        occurred, observed, recorded = event.occurred_at, event.observed_at, event.recorded_at
        if recorded is not last_recorded:
            last_recorded, recorded_micros = recorded, (recorded - _EPOCH) // _MICROSECOND
        occurred_micros = (occurred - _EPOCH) // _MICROSECOND
        rows.append(
            (
                event.sequence_number,
                event.id,
                event.category,
                event.stream,
                event.position,
                event.name,
                event.payload_json,
                event.metadata_json,
                occurred_micros,
                occurred_micros if observed is occurred else (observed - _EPOCH) // _MICROSECOND,
                recorded_micros,
            )
        )
    return rows


def row_to_event(row: Sequence[Any]) -> StoredEvent:
    """The event a row (in :data:`COLUMNS` order) stores; its payload and metadata stay
    JSON text until first used."""
    (
        sequence_number,
        event_id,
        category,
        stream,
        position,
        name,
        payload,
        metadata,
        occurred_at,
        observed_at,
        recorded_at,
    ) = row
    return stored_event_from_json(
        event_id,
        name,
        category,
        stream,
        position,
        sequence_number,
        payload,
        metadata,
        _moment(occurred_at),
        _moment(observed_at),
        _moment(recorded_at),
    )


@lru_cache(maxsize=4096)
def _moment(micros: int) -> datetime:
    """A cached :func:`from_micros`: the events of one publish share their timestamps, and
    datetimes are immutable, so sharing the objects is safe and saves most conversions."""
    return from_micros(micros)
