"""Lazy, keyset-paged scans and ``latest``: each page is one short query.

No connection or transaction is held between pages, so an abandoned iterator holds
nothing, and a scan that runs while writers commit sees their events as it goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from sqlite_utils import Database

from tidings.adapters import (
    Identifier,
    ScanRequest,
    StoredEvent,
)
from tidings_sqlite.rows import COLUMNS, row_to_event
from tidings_sqlite.statements import Statements

__all__ = ["latest_event", "scan_events"]

Borrow = Callable[[], AbstractContextManager[Database]]
"""Lends a connection for one query (and translates its errors)."""

_SEQUENCE_NUMBER = COLUMNS.index("sequence_number")
_POSITION = COLUMNS.index("position")


def scan_events(
    borrow: Borrow, statements: Statements, request: ScanRequest, page_size: int
) -> Iterator[StoredEvent]:
    """Yield the request's events in sequence number order, one page per query."""
    target = request.target
    kind, keys = target.kind, target.keys
    names = None if request.names is None else sorted(request.names)
    sql = statements.scan(kind, None if names is None else len(names))
    last_sequence_number = request.after or 0
    last_position = -1
    remaining = request.limit
    while remaining is None or remaining > 0:
        wanted = page_size if remaining is None else min(page_size, remaining)
        keyset: tuple[int, ...] = (
            (last_position, last_sequence_number) if kind == "stream" else (last_sequence_number,)
        )
        parameters: list[Any] = [*keys, *keyset, *(names or ()), wanted]
        with borrow() as db:
            rows = db.conn.execute(sql, parameters).fetchall()
        yield from map(row_to_event, rows)  # events built as they are asked for
        if len(rows) < wanted:
            return
        last = rows[-1]
        last_sequence_number, last_position = last[_SEQUENCE_NUMBER], last[_POSITION]
        if remaining is not None:
            remaining -= len(rows)


def latest_event(borrow: Borrow, statements: Statements, target: Identifier) -> StoredEvent | None:
    """The event with the highest sequence number in ``target``, or None."""
    kind, keys = target.kind, target.keys
    sql = {
        "log": statements.latest_in_log,
        "category": statements.latest_in_category,
        "stream": statements.last_event,
    }[kind]
    with borrow() as db:
        row = db.conn.execute(sql, keys).fetchone()
    return None if row is None else row_to_event(row)
