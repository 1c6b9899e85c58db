"""Bulk loading (``StorageAdapter.bulk_load``): events copied from another store, sent
with ``COPY`` in one transaction; a sans-IO plan, run by both faces.

The plan checks in Python that the events continue each of their streams among
themselves (contiguous positions in the order given) and that their ids are distinct,
before any I/O. Then, in one transaction: the log-level lock, which excludes every
writer at every ordering level; one query that each stream's first loaded position is
one past the stream's last stored one; ``COPY`` of the rows, in binary; ``COMMIT``. An
id the store holds already fails the ``COPY`` on its unique constraint: the transaction
rolls back and one more query names the id. Sequence numbers come from the table's
identity column in ``COPY`` order, and each row's transaction id is the loading
transaction's, so subscriptions see the load as one commit.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from tidings.adapters import (
    DuplicateEventIdError,
    StoredEvent,
    StreamIdentifier,
    UnmetWriteConditionError,
)
from tidings_postgres.plans import Rows, Statement
from tidings_postgres.schema import render, render_query

__all__ = ["BulkStatements", "Copy", "bulk_load_plan"]

COPY_COLUMNS = (
    "id",
    "name",
    "category",
    "stream",
    "position",
    "payload",
    "metadata",
    "occurred_at",
    "observed_at",
    "recorded_at",
)
_COPY_TYPES = ("text",) * 4 + ("int8", "text", "text") + ("timestamptz",) * 3


@dataclass(frozen=True, slots=True)
class Copy:
    """An effect of the plan: ``COPY ... FROM STDIN`` with these rows, in binary."""

    sql: str
    types: Sequence[str]
    rows: Iterable[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class BulkStatements:
    """The SQL of a bulk load into one schema, rendered once per adapter."""

    lock: str
    heads: str
    copy: str
    holders: str

    @classmethod
    def for_schema(cls, schema: str) -> BulkStatements:
        columns = ", ".join(COPY_COLUMNS)
        return cls(
            lock=render("SELECT {s}.take_locks('log', '', ARRAY[]::text[])", schema),
            heads=render_query(
                "SELECT t.c, t.s, t.p, (SELECT max(e.position) FROM {s}.events AS e "
                "WHERE e.category = t.c AND e.stream = t.s) AS last "
                "FROM unnest(%s::text[], %s::text[], %s::bigint[]) AS t(c, s, p)",
                schema,
            ),
            copy=render(f"COPY {{s}}.events ({columns}) FROM STDIN (FORMAT BINARY)", schema),
            holders=render_query(
                "SELECT id FROM {s}.events WHERE id = ANY(%s::text[]) LIMIT 1", schema
            ),
        )


BulkPlan = Generator[Statement | Copy, Rows, None]

_BEGIN = Statement("BEGIN")
_COMMIT = Statement("COMMIT")
_ROLLBACK = Statement("ROLLBACK")


def _firsts(events: Sequence[StoredEvent]) -> dict[tuple[str, str], int]:
    """Each stream's first position among ``events``, once they are checked to continue
    their streams among themselves and to carry distinct ids (else raise)."""
    nexts: dict[tuple[str, str], int] = {}
    firsts: dict[tuple[str, str], int] = {}
    ids: set[str] = set()
    for event in events:
        key = (event.category, event.stream)
        expected = nexts.get(key)
        if expected is None:
            firsts[key] = event.position
        elif event.position != expected:
            raise UnmetWriteConditionError(
                StreamIdentifier(*key),
                f"position {expected} next in the loaded events",
                f"position {event.position}",
            )
        nexts[key] = event.position + 1
        if event.id in ids:
            raise DuplicateEventIdError(event.id, StreamIdentifier(*key))
        ids.add(event.id)
    return firsts


def _rows(events: Sequence[StoredEvent]) -> Iterator[tuple[Any, ...]]:
    """The rows to copy; payloads and metadata as the JSON text read from the source,
    never decoded (an adapter's text is what the core codec wrote)."""
    for event in events:
        yield (
            event.id,
            event.name,
            event.category,
            event.stream,
            event.position,
            event.payload_json,
            event.metadata_json,
            event.occurred_at,
            event.observed_at,
            event.recorded_at,
        )


def bulk_load_plan(statements: BulkStatements, events: Sequence[StoredEvent]) -> BulkPlan:
    """Load ``events`` as the module says: all of them or, raising, none."""
    if not events:
        return
    firsts = _firsts(events)
    yield _BEGIN
    try:
        yield Statement(statements.lock)
        keys = list(firsts)
        heads = yield Statement(
            statements.heads,
            [[c for c, _ in keys], [s for _, s in keys], [firsts[key] for key in keys]],
        )
        for category, stream, first, last in heads:
            if first != (-1 if last is None else last) + 1:
                wanted = "an empty stream" if first == 0 else f"last position {first - 1}"
                found = "an empty stream" if last is None else f"last position {last}"
                raise UnmetWriteConditionError(
                    StreamIdentifier(category, stream),
                    f"{wanted}, which the loaded events continue from position {first}",
                    found,
                )
        yield Copy(statements.copy, _COPY_TYPES, _rows(events))
    except BaseException as error:
        with suppress(psycopg.Error):
            yield _ROLLBACK
        if isinstance(error, pg_errors.UniqueViolation):
            yield from _name_duplicate(statements, events)
        raise
    yield _COMMIT


def _name_duplicate(statements: BulkStatements, events: Sequence[StoredEvent]) -> BulkPlan:
    """Raise :class:`DuplicateEventIdError` for an id of ``events`` the store holds."""
    rows = yield Statement(statements.holders, [[event.id for event in events]])
    if rows:
        held = rows[0][0]
        event = next(event for event in events if event.id == held)
        raise DuplicateEventIdError(held, StreamIdentifier(event.category, event.stream))
