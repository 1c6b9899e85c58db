"""Reads as sans-IO plans: the keyset pages of a scan, and ``latest``.

Each page is its own statement on whichever pooled connection is free, so no connection
is held between pages, and a scan abandoned between pages holds nothing.
"""

from __future__ import annotations

from tidings.adapters import (
    Checkpoint,
    FollowPage,
    FollowRequest,
    Identifier,
    ScanRequest,
    StoredEvent,
)
from tidings_postgres.arrays import Texts
from tidings_postgres.plans import Plan, Rows, Statement
from tidings_postgres.rows import decode_event, last_sequence_number
from tidings_postgres.statements import Statements, scope_parameters

__all__ = [
    "HEAD_POLL",
    "HEAD_WAIT",
    "follow_page",
    "follow_statement",
    "head_statement",
    "latest_event",
    "latest_statement",
    "scan_plan",
    "settled_head",
]

HEAD_WAIT = 2.0
"""How long a subscription that starts at the end of the log or a category waits for
transactions older than the last event to end, before it starts at the horizon."""

HEAD_POLL = 0.005
"""How often it looks again meanwhile, in seconds."""


def scan_plan(statements: Statements, request: ScanRequest, page_size: int) -> Plan[None]:
    """Yield each page's statement and receive its rows, until a short page or the limit."""
    query = statements.scan(request.target, filtered=request.names is not None)
    parameters = scope_parameters(request.target)
    if request.names is not None:
        parameters["names"] = Texts(sorted(request.names))
    after = request.after or 0
    remaining = request.limit
    while remaining is None or remaining > 0:
        size = page_size if remaining is None else min(page_size, remaining)
        rows = yield Statement(query, {**parameters, "after": after, "limit": size})
        if len(rows) < size:
            return
        after = last_sequence_number(rows)
        if remaining is not None:
            remaining -= len(rows)


def latest_statement(statements: Statements, target: Identifier) -> Statement:
    """The query for the last event of ``target``."""
    return Statement(statements.latest(target), scope_parameters(target))


def latest_event(rows: Rows) -> StoredEvent | None:
    """The event :func:`latest_statement` found, or None."""
    return decode_event(rows[0]) if rows else None


def follow_statement(
    statements: Statements, request: FollowRequest, *, pending: bool = False
) -> Statement:
    """A subscription's page of the log or a category, in commit order (see schema
    version 3): after the request's checkpoint and below the commit horizon. With
    ``pending``: whether committed events wait there behind a running transaction."""
    after = request.after if request.after is not None else Checkpoint(0, 0)
    parameters = scope_parameters(request.target)
    parameters.update(
        transaction=str(after.transaction), after=after.sequence_number, limit=request.limit
    )
    if request.names is not None:
        parameters["names"] = Texts(sorted(request.names))
    queries = statements.pendings if pending else statements.follows
    query = queries[(request.target.kind, request.names is not None)]
    return Statement(query, parameters)


def follow_page(rows: Rows) -> FollowPage:
    """Each row's event with its (transaction, sequence number) checkpoint."""
    entries = []
    for row in rows:
        event = decode_event(row)
        entries.append((event, Checkpoint(int(row[-1]), event.sequence_number)))
    return FollowPage(tuple(entries), entries[-1][1] if entries else None)


def head_statement(statements: Statements, target: Identifier) -> Statement:
    """The last event of the log or a category in commit order, and the horizon."""
    return Statement(statements.heads[target.kind], scope_parameters(target))


def settled_head(rows: Rows, *, final: bool) -> Checkpoint | None:
    """Where a subscription from the end starts, from :func:`head_statement`'s row: after
    the last committed event, once no older transaction is running, since one could
    still commit events before it in commit order. None: look again (one is running).

    ``final`` gives up waiting: the subscription then starts at the horizon and may
    deliver events committed just before it started, but never skips one.
    """
    last_transaction, last_sequence_number, horizon = rows[0]
    if last_transaction is None:
        return Checkpoint(int(horizon), 0)
    if int(horizon) > int(last_transaction):
        return Checkpoint(int(last_transaction), last_sequence_number)
    return Checkpoint(int(horizon), 0) if final else None
