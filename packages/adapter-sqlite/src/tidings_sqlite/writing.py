"""Appending batches inside one write transaction: retries, conditions, one insert."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from tidings.adapters import (
    NoCondition,
    StoredEvent,
    StreamBatch,
    build_stored_events,
    holds_at_position,
    match_retry,
)
from tidings_sqlite.rows import events_to_rows, row_to_event
from tidings_sqlite.statements import Statements

__all__ = ["append"]

_IDS_PER_QUERY = 500
"""Below SQLite's oldest limit on parameters per statement (999)."""


def append(
    connection: sqlite3.Connection, statements: Statements, batches: Sequence[StreamBatch]
) -> list[list[StoredEvent]]:
    """Append ``batches`` on a connection that holds the write lock; the caller commits.

    Every retry and condition is settled before anything is inserted, and all new
    events go in with one ``executemany``, so the insert is all or nothing. A publish of
    one unconditional batch without caller ids runs one query before the insert.
    """
    caller_ids = [event_id for batch in batches for event_id in batch.ids]
    already_stored = _stored_with_ids(connection, statements, caller_ids) if caller_ids else {}
    planned: list[tuple[StreamBatch, int] | list[StoredEvent]] = []
    next_sequence_number: int | None = None
    for batch in batches:
        if already_stored:
            retried = match_retry(
                batch, {i: already_stored[i] for i in batch.ids if i in already_stored}
            )
            if retried is not None:
                planned.append(retried)
                continue
        keys = (batch.stream.category, batch.stream.stream)
        if type(batch.condition) is NoCondition and next_sequence_number is None:
            # Nothing to check: the last position (from the index alone) is enough, and
            # the same query reads the last sequence number.
            last_position, last_sequence = connection.execute(
                statements.last_position_and_sequence, keys
            ).fetchone()
            next_sequence_number = (last_sequence or 0) + 1
            planned.append((batch, 0 if last_position is None else last_position + 1))
        else:
            planned.append((batch, _next_position(connection, statements, batch, keys)))
    results: list[list[StoredEvent]] = []
    new_events: list[StoredEvent] = []
    recorded_at = datetime.now(UTC)
    for plan in planned:
        if isinstance(plan, list):
            results.append(plan)
            continue
        if next_sequence_number is None:
            (last,) = connection.execute(statements.max_sequence_number).fetchone()
            next_sequence_number = (last or 0) + 1
        batch, first_position = plan
        stored = build_stored_events(
            batch,
            first_position=first_position,
            first_sequence_number=next_sequence_number,
            recorded_at=recorded_at,
        )
        next_sequence_number += len(stored)
        new_events.extend(stored)
        results.append(stored)
    if new_events:
        connection.executemany(statements.insert, events_to_rows(new_events))
    return results


def _next_position(
    connection: sqlite3.Connection,
    statements: Statements,
    batch: StreamBatch,
    keys: tuple[str, str],
) -> int:
    """Check the batch's condition against its stream and return its first position.

    The built-in conditions need only the last position; the last event is read and
    decoded only for a custom condition, or to describe an unmet one."""
    row = connection.execute(statements.last_position, keys).fetchone()
    last_position = None if row is None else int(row[0])
    if holds_at_position(batch.condition, last_position):
        return 0 if last_position is None else last_position + 1
    row = connection.execute(statements.last_event, keys).fetchone()
    last_event = None if row is None else row_to_event(row)
    batch.condition.assert_met_by(last_event=last_event, stream=batch.stream)
    return 0 if last_event is None else last_event.position + 1


def _stored_with_ids(
    connection: sqlite3.Connection, statements: Statements, ids: Iterable[str]
) -> dict[str, StoredEvent]:
    wanted = list(ids)
    found: dict[str, StoredEvent] = {}
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        chunk = wanted[start : start + _IDS_PER_QUERY]
        for row in connection.execute(statements.events_with_ids(len(chunk)), chunk):
            event = row_to_event(row)
            found[event.id] = event
    return found
