"""Sans-IO plans: the adapter's logic as generators that yield the I/O they need.

A plan yields an effect (usually a :class:`Statement`) and receives its result; the sync
and async faces run the same plans with :func:`tidings.adapters.run` and
:func:`tidings.adapters.arun`, so no logic is written twice. A failed effect is thrown
back into the plan, which may clean up (roll back, unlock) before the error propagates.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg.pq import ExecStatus
from psycopg.pq.abc import PGresult

__all__ = ["Plan", "Rows", "Statement", "each", "in_transaction", "returns_rows"]

E = TypeVar("E")
R = TypeVar("R")
T = TypeVar("T")

Rows = list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Statement:
    """One query to send: its text and parameters. It returns its rows (empty if none)."""

    sql: str | bytes
    params: Sequence[object] | Mapping[str, object] | None = None

    @property
    def binary(self) -> bool:
        """Whether to ask for rows in binary, which load faster (timestamps, integers).
        Only a statement with parameters: one without goes by the simple protocol,
        which allows several commands in one (the DDL) but only text rows."""
        return self.params is not None


Plan = Generator[Statement, Rows, T]

_BEGIN = Statement("BEGIN")
_COMMIT = Statement("COMMIT")
_ROLLBACK = Statement("ROLLBACK")


def returns_rows(result: PGresult | None) -> bool:
    """Whether a statement's result holds rows to fetch. (Cheaper than asking the cursor
    for its ``description``, which builds a column object per column: measured.)"""
    return result is not None and result.status == ExecStatus.TUPLES_OK


def in_transaction(body: Plan[T]) -> Plan[T]:
    """``body`` between BEGIN and COMMIT; on any error (or cancellation), ROLLBACK.

    A rollback that fails (the connection is gone) is ignored: the server discards the
    transaction with the session, and the original error is the one to report.
    """
    yield _BEGIN
    try:
        result = yield from body
    except BaseException:
        with suppress(psycopg.Error):
            yield _ROLLBACK
        raise
    yield _COMMIT
    return result


def each(statements: Sequence[Statement]) -> Plan[None]:
    """Send ``statements`` one after another (inside :func:`in_transaction`: atomically)."""
    for statement in statements:
        _ = yield statement
