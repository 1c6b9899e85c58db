"""Sans-IO plans: the adapter's logic as generators that yield the I/O they need.

A plan yields an effect (usually a :class:`Statement`) and receives its result; the sync
and async faces run the same plans with :func:`run` and :func:`arun`, so no logic is
written twice. A failed effect is thrown back into the plan, which may clean up (roll
back, unlock) before the error propagates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import psycopg
from psycopg.pq import ExecStatus
from psycopg.pq.abc import PGresult

__all__ = [
    "Driver",
    "Plan",
    "Rows",
    "Statement",
    "arun",
    "in_transaction",
    "returns_rows",
    "run",
]

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


class Driver(Generic[E, R, T]):
    """Steps a plan: iterate for its effects, set ``reply`` or ``error`` after each one,
    then read ``result``."""

    def __init__(self, plan: Generator[E, R, T]) -> None:
        self._plan = plan
        self.reply: Any = None
        self.error: BaseException | None = None
        self.result: T

    def __iter__(self) -> Iterator[E]:
        while True:
            error, self.error = self.error, None
            try:
                effect = (
                    self._plan.throw(error) if error is not None else self._plan.send(self.reply)
                )
            except StopIteration as done:
                self.result = done.value
                return
            self.reply = None
            yield effect


def returns_rows(result: PGresult | None) -> bool:
    """Whether a statement's result holds rows to fetch. (Cheaper than asking the cursor
    for its ``description``, which builds a column object per column: measured.)"""
    return result is not None and result.status == ExecStatus.TUPLES_OK


def run(plan: Generator[E, R, T], perform: Callable[[E], R]) -> T:
    """Run ``plan`` to its end, performing each effect with a blocking call."""
    driver = Driver(plan)
    for effect in driver:
        try:
            driver.reply = perform(effect)
        except BaseException as error:  # noqa: BLE001 - the plan cleans up, then re-raises
            driver.error = error
    return driver.result


async def arun(plan: Generator[E, R, T], perform: Callable[[E], Awaitable[R]]) -> T:
    """Run ``plan`` to its end, awaiting each effect. Cancellation is thrown into the
    plan like any error, so it rolls back before the task ends."""
    driver = Driver(plan)
    for effect in driver:
        try:
            driver.reply = await perform(effect)
        except BaseException as error:  # noqa: BLE001 - the plan cleans up, then re-raises
            driver.error = error
    return driver.result


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
