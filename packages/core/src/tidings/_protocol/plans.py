"""Sans-IO plans: logic written once as generators that yield the I/O they need.

A plan yields an effect (a statement to send, a projection to load) and receives its
result. The sync and async faces step the same plan with a :class:`Driver`, through
:func:`~tidings.adapters.run` and :func:`~tidings.adapters.arun`, so no logic is written
twice. A failed effect is thrown back into the plan, which may clean up (roll back,
unlock) before the error propagates.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any, Generic, TypeVar

__all__ = ["Driver"]

E = TypeVar("E")
R = TypeVar("R")
T = TypeVar("T")


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
