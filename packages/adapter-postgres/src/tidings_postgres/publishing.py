"""A publish as a sans-IO plan: attempts, retries resolved by event id, and outcomes.

:func:`publish_plan` yields one attempt plan per attempt; each face runs an attempt on
one pooled connection and sends back its outcome. One batch with a built-in condition
and no caller ids takes the shortest path, one statement in autocommit (it stores nothing
when its snapshot was stale, and the attempt goes on to the append function). Built-in
conditions take the fast path, one call of the append function in autocommit; custom
conditions take the general path, checked in Python inside a transaction that holds the
ordering lock.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass

from psycopg import errors as pg_errors

from tidings.adapters import (
    StorageError,
    StoredEvent,
    StreamBatch,
    assign_ids,
    encode_json,
    match_retry,
    stored_batch,
)
from tidings_postgres.arrays import Bigints, Texts, Timestamps
from tidings_postgres.conditions import CompiledCondition, compile_condition
from tidings_postgres.plans import Plan, Rows, Statement, in_transaction
from tidings_postgres.rows import OutcomeRow, PublishCall, decode_event, stored_events
from tidings_postgres.statements import Statements

__all__ = ["ATTEMPTS", "Existing", "Notified", "Outcome", "publish_plan"]

ATTEMPTS = 5
"""Publish attempts: each further one follows a retry resolved by event id."""
_ID_CONSTRAINT = "events_id_key"
_POSITION_CONSTRAINT = "events_stream_position_key"


@dataclass(frozen=True, slots=True)
class Existing:
    """An attempt found events already stored with some of the batches' ids."""

    events: tuple[StoredEvent, ...]


class Notified(list[list[StoredEvent]]):
    """Stored events whose statement also woke subscribers (``pg_notify``) as it
    committed, so the caller sends no NOTIFY of its own."""


Outcome = list[list[StoredEvent]] | Existing
Published = list[list[StoredEvent]]


def publish_plan(
    statements: Statements,
    level: str,
    batches: Sequence[StreamBatch],
    where: str,
    channel: str | None = None,
) -> Generator[Plan[Outcome], Outcome, Published]:
    """Yield attempts until every batch is stored or resolved as a retry; ``where``
    names the server in the error raised when attempts run out. With a ``channel``, a
    log-level publish of one batch notifies it in its own statement (an attempt then
    returns :class:`Notified`)."""
    notify = channel if level == "log" else None
    if not batches:
        return []
    results: list[list[StoredEvent] | None] = [None] * len(batches)
    pending = list(range(len(batches)))
    for _ in range(ATTEMPTS):
        outcome = yield _attempt(statements, level, [batches[index] for index in pending], notify)
        if isinstance(outcome, Existing):
            pending = _resolve_retries(batches, pending, outcome, results)
        else:
            for index, stored in zip(pending, outcome):
                results[index] = stored
            pending = []
        if not pending:
            return [stored for stored in results if stored is not None]
    raise StorageError(
        f"publish to PostgreSQL at {where} kept racing with writers "
        f"of the same event ids; gave up after {ATTEMPTS} attempts"
    )


def _resolve_retries(
    batches: Sequence[StreamBatch],
    pending: list[int],
    outcome: Existing,
    results: list[list[StoredEvent] | None],
) -> list[int]:
    """Fill in the batches that ``outcome`` shows were stored before; return the rest."""
    by_id = {event.id: event for event in outcome.events}
    unresolved = []
    for index in pending:
        batch = batches[index]
        retried = match_retry(batch, {i: by_id[i] for i in batch.ids if i in by_id})
        if retried is None:
            unresolved.append(index)
        else:
            results[index] = retried
    return unresolved


def _attempt(
    statements: Statements, level: str, batches: list[StreamBatch], channel: str | None
) -> Plan[Outcome]:
    compiled = [compile_condition(batch.condition) for batch in batches]
    ready = [condition for condition in compiled if condition is not None]
    try:
        if len(ready) == len(compiled):
            if len(batches) == 1 and batches[0].events and not batches[0].ids:
                stored = yield from _append_one(statements, level, batches[0], ready[0], channel)
                if stored is not None:
                    return [stored] if channel is None else Notified([stored])
            call = PublishCall.build(batches, ready)
            rows = yield Statement(statements.publish, call.parameters(level))
            return outcome(call, rows)
        return (yield from in_transaction(_general_path(statements, level, batches)))
    except pg_errors.UniqueViolation as error:
        if error.diag.constraint_name != _ID_CONSTRAINT:
            raise
        # A concurrent writer at a finer ordering level stored one of our ids first;
        # the next attempt sees it and resolves the retry.
        return Existing(())


def _append_one(
    statements: Statements,
    level: str,
    batch: StreamBatch,
    condition: CompiledCondition,
    channel: str | None,
) -> Plan[list[StoredEvent] | None]:
    """Store one batch in one statement; None when its snapshot may have been stale
    (the condition looked unmet, or a writer took the next position), having stored
    nothing, so that the caller asks the append function, which reads after the lock.
    With a ``channel``, the statement notifies it too."""
    ids = assign_ids(batch.events)
    events = batch.events
    stream = batch.stream
    parameters = {
        "level": level,
        "category": stream.category,
        "stream": stream.stream,
        "streams": Texts([stream.stream]),
        "ids": Texts(ids),
        "names": Texts([event.name for event in events]),
        "payloads": Texts([encode_json(event.payload) for event in events]),
        "metadata": Texts([encode_json(event.metadata) for event in events]),
        "occurred": Timestamps([event.occurred_at for event in events]),
        "observed": Timestamps([event.observed_at for event in events]),
        "empty_ok": condition.empty_ok,
        "any_position": condition.any_position,
        "positions": Bigints(sorted(condition.positions)),
    }
    text = statements.append_one
    if level == "log":
        text = statements.append_one_log
        if channel is not None:
            parameters["channel"] = channel
            text = statements.append_one_log_notifying
    try:
        rows = yield Statement(text, parameters)
    except pg_errors.UniqueViolation as error:
        if error.diag.constraint_name != _POSITION_CONSTRAINT:
            raise
        return None
    if not rows:
        return None
    numbers = {row[0]: (row[1], row[2]) for row in rows}
    return stored_batch(batch, ids, [numbers[event_id] for event_id in ids], rows[0][3])


def _general_path(statements: Statements, level: str, batches: list[StreamBatch]) -> Plan[Outcome]:
    """Custom conditions run in Python, inside the transaction that holds the lock."""
    call = PublishCall.build(batches)
    streams = [batch.stream.stream for batch in batches]
    yield Statement(statements.take_locks, (level, batches[0].stream.category, Texts(streams)))
    given_ids = [event_id for batch in batches for event_id in batch.ids]
    if given_ids:
        existing = yield Statement(statements.existing_ids, [Texts(given_ids)])
        if existing:
            return Existing(tuple(decode_event(row) for row in existing))
    for batch in batches:
        stream = batch.stream
        last = yield Statement(statements.last_event, (stream.category, stream.stream))
        batch.condition.assert_met_by(
            last_event=decode_event(last[0]) if last else None, stream=stream
        )
    return outcome(call, (yield Statement(statements.publish, call.parameters(level))))


_EVENT_START = len(OutcomeRow._fields) - 1
"""Where an outcome row's event columns start."""


def outcome(call: PublishCall, rows: Rows) -> Outcome:
    """Decode the append function's rows: stored events, existing ids, or an unmet
    condition (raised with the condition's own message)."""
    if not rows:
        return [[] for _ in call.batches]
    first = OutcomeRow.of(rows[0])
    if first.kind == "existing":
        return Existing(tuple(decode_event(row, _EVENT_START) for row in rows))
    if first.kind == "unmet":
        batch = call.batches[(first.batch or 0) - 1]
        last = None if first.event.id is None else decode_event(rows[0], _EVENT_START)
        batch.condition.assert_met_by(last_event=last, stream=batch.stream)
        raise StorageError(
            f"the SQL check of {batch.condition!r} disagreed with its Python check; "
            "please report this as a bug"
        )
    stored = [OutcomeRow.of(row).event for row in rows]
    numbers = {event.id: (event.position, event.sequence_number) for event in stored}
    return stored_events(call, numbers, stored[0].recorded_at)
