# Generated from async_plan_runner.py by tools/unasync.py: do not edit.
"""Run a sans-IO plan to its end, performing its effects on one face."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TypeVar

from tidings._protocol.plans import Driver

__all__ = ["run"]

E = TypeVar("E")
R = TypeVar("R")
T = TypeVar("T")


def run(plan: Generator[E, R, T], perform: Callable[[E], R]) -> T:
    """Run ``plan`` to its end, performing each effect. An error, cancellation included,
    is thrown into the plan, so it can roll back before the caller sees the error."""
    driver = Driver(plan)
    for effect in driver:
        try:
            driver.reply = perform(effect)
        except BaseException as error:  # noqa: BLE001 - the plan cleans up, then re-raises
            driver.error = error
    return driver.result
