"""I/O-free publish logic shared by every adapter: batches, retries and new rows."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import pairwise

from tidings._model.conditions import (
    AllOf,
    AnyOf,
    NoCondition,
    PositionIs,
    StreamExists,
    StreamIsEmpty,
    WriteCondition,
)
from tidings._model.events import NewEvent, StoredEvent, stored_event_from_new
from tidings._model.identifiers import StreamIdentifier
from tidings._protocol.requests import StreamBatch
from tidings.errors import DuplicateEventIdError, ValidationError

__all__ = [
    "assign_ids",
    "build_stored_events",
    "holds_at_position",
    "match_retry",
    "new_event_ids",
    "stored_batch",
    "validate_batches",
]


def validate_batches(batches: Sequence[StreamBatch]) -> None:
    """Reject before any I/O what no adapter could write: mixed categories, repeated
    streams, repeated ids, events that are not ``NewEvent``, conditions of the wrong type."""
    if len(batches) > 1:
        categories = {batch.stream.category for batch in batches}
        if len(categories) > 1:
            raise ValidationError(
                "streams",
                f"a multi-stream publish stays within one category, got {sorted(categories)}",
            )
    seen_streams: set[StreamIdentifier] = set()
    seen_ids: set[str] = set()
    for batch in batches:
        if batch.stream in seen_streams:
            raise ValidationError("streams", f"stream {batch.stream.stream!r} appears twice")
        seen_streams.add(batch.stream)
        if not isinstance(batch.condition, WriteCondition):
            raise ValidationError(
                "condition", f"must be a WriteCondition, got {type(batch.condition).__name__}"
            )
        for index, event in enumerate(batch.events):
            if type(event) is not NewEvent and not isinstance(event, NewEvent):
                raise ValidationError(
                    f"events[{index}]", f"must be a NewEvent, got {type(event).__name__}"
                )
            if event.id is not None:
                if event.id in seen_ids:
                    raise ValidationError(
                        f"events[{index}].id", f"id {event.id!r} appears twice in one publish"
                    )
                seen_ids.add(event.id)


def match_retry(
    batch: StreamBatch, stored_with_same_ids: Mapping[str, StoredEvent]
) -> list[StoredEvent] | None:
    """Decide what a batch whose ids may already be stored means (contract rule 10).

    ``stored_with_same_ids`` maps each of the batch's ids that is already stored to its
    stored event. Returns None when no id is stored (write normally), the stored events
    when the batch is an exact retry (write nothing), and raises
    :class:`DuplicateEventIdError` for any other overlap.
    """
    if not stored_with_same_ids:
        return None
    stored = [stored_with_same_ids.get(event.id or "") for event in batch.events]
    if batch.fully_identified and all(event is not None for event in stored):
        found = [event for event in stored if event is not None]
        same_stream = all(event.identifier == batch.stream for event in found)
        contiguous = all(
            later.position == earlier.position + 1 for earlier, later in pairwise(found)
        )
        if same_stream and contiguous:
            return found
    clashing = next(event_id for event_id in batch.ids if event_id in stored_with_same_ids)
    raise DuplicateEventIdError(clashing, batch.stream)


def new_event_ids(count: int) -> list[str]:
    """``count`` time-ordered UUID strings (RFC 9562 version 7) for events given no id.

    48 bits of Unix time in milliseconds, then 74 random bits from one read of the OS's
    random source: unique without coordination across threads and processes. Ids that
    start with the time land at the right edge of a database's unique id index, so a
    publish of N events dirties one or two index pages instead of up to N (on SQLite
    this halved the commit of a 100-event publish). Formatting hex directly is also
    several times faster than ``str(uuid.uuid4())``.
    """
    millis = f"{time.time_ns() // 1_000_000:012x}"
    prefix = f"{millis[:8]}-{millis[8:12]}-7"
    entropy = os.urandom(10 * count).hex()
    ids = []
    for start in range(0, 20 * count, 20):
        h = entropy[start : start + 20]
        ids.append(f"{prefix}{h[:3]}-{_VARIANT[int(h[3], 16) & 3]}{h[4:7]}-{h[7:19]}")
    return ids


_VARIANT = "89ab"


def assign_ids(events: Sequence[NewEvent]) -> list[str]:
    """The id of each event: the caller's, or a new UUID."""
    missing = sum(1 for event in events if event.id is None)
    if not missing:
        return [event.id for event in events if event.id is not None]
    fresh = iter(new_event_ids(missing))
    return [event.id if event.id is not None else next(fresh) for event in events]


def stored_batch(
    batch: StreamBatch,
    ids: Sequence[str],
    numbers: Iterable[tuple[int, int]],
    recorded_at: datetime,
) -> list[StoredEvent]:
    """The stored form of a batch: each event with its id, its (position, sequence
    number) and the publish's one ``recorded_at``. Every adapter builds events here."""
    category, stream = batch.stream.category, batch.stream.stream
    return [
        stored_event_from_new(
            event, event_id, category, stream, position, sequence_number, recorded_at
        )
        for event, event_id, (position, sequence_number) in zip(batch.events, ids, numbers)
    ]


def build_stored_events(
    batch: StreamBatch,
    *,
    first_position: int,
    first_sequence_number: int,
    recorded_at: datetime,
) -> list[StoredEvent]:
    """The stored form of a batch, for adapters that number events themselves: ids
    assigned where missing, positions and sequence numbers contiguous from the given."""
    count = len(batch.events)
    numbers = zip(
        range(first_position, first_position + count),
        range(first_sequence_number, first_sequence_number + count),
    )
    return stored_batch(batch, assign_ids(batch.events), numbers, recorded_at)


def holds_at_position(condition: WriteCondition, last_position: int | None) -> bool:
    """Whether ``condition`` is made of built-in conditions only and holds for a stream
    whose last position is ``last_position`` (None: empty).

    Lets an adapter check the usual conditions from a position alone. False means "ask
    the condition itself": it may be a custom one that needs the last event, or an unmet
    one, whose error describes what it found.
    """
    match condition:
        case NoCondition():
            return True
        case PositionIs(position=position):
            return position == last_position
        case StreamIsEmpty():
            return last_position is None
        case StreamExists():
            return last_position is not None
        case AllOf(conditions=parts):
            return all(holds_at_position(part, last_position) for part in parts)
        case AnyOf(conditions=parts):
            return any(holds_at_position(part, last_position) for part in parts) and all(
                _built_in(part) for part in parts
            )
    return False


def _built_in(condition: WriteCondition) -> bool:
    if isinstance(condition, AllOf | AnyOf):
        return all(_built_in(part) for part in condition.conditions)
    return type(condition) in (NoCondition, PositionIs, StreamIsEmpty, StreamExists)
