"""Helpers for driving the server directly, beside the adapter, in these tests."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import psycopg

from tidings import NewEvent, StreamIdentifier
from tidings._protocol.publishing import StreamBatch
from tidings_postgres.rows import PublishCall
from tidings_postgres.statements import Statements

__all__ = ["BLOCKED_BY", "raw_publish", "wait_until"]


def raw_publish(
    conn: psycopg.Connection[tuple[Any, ...]],
    schema: str,
    category: str,
    stream: str,
    events: Sequence[NewEvent],
    level: str = "log",
) -> list[tuple[Any, ...]]:
    """Call the append function on ``conn``, in whatever transaction it has open."""
    call = PublishCall.build([StreamBatch(StreamIdentifier(category, stream), tuple(events))])
    statement = Statements.for_schema(schema).publish
    return conn.execute(statement, call.parameters(level)).fetchall()


def wait_until(conn: psycopg.Connection[tuple[Any, ...]], query: str, *args: object) -> Any:
    """Poll ``query`` until it returns a true first column; fail after a generous bound.

    Used to know that a writer is blocked on a lock, never to assert how long anything
    takes.
    """
    for _ in range(600):
        row = conn.execute(query, args).fetchone()
        if row is not None and row[0]:
            return row[0]
        time.sleep(0.05)
    raise AssertionError(f"condition never became true: {query}")


BLOCKED_BY = (
    "SELECT count(*) FILTER (WHERE %s = ANY(pg_blocking_pids(pid))) >= %s FROM pg_stat_activity"
)
"""Whether at least N backends wait for a lock held by the given backend. It sees only
this test's waiters, so tests stay exact when other sessions share the database."""
