"""Concurrent writers started at once: threads for the sync contenders, tasks for the
async one. Each returns the seconds until the last writer finished."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from .stats import quiet_gc

__all__ = ["race_tasks", "race_threads"]


def race_threads(workers: list[Callable[[], None]]) -> float:
    """Start every worker in a thread of its own at once; the seconds until the last one
    finishes. The first worker error is raised once all have stopped."""
    barrier = threading.Barrier(len(workers) + 1)
    errors: list[BaseException] = []

    def run(worker: Callable[[], None]) -> None:
        barrier.wait()
        try:
            worker()
        except BaseException as error:  # noqa: BLE001 - re-raised in the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    with quiet_gc():
        barrier.wait()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


async def race_tasks(workers: list[Callable[[], Coroutine[Any, Any, None]]]) -> float:
    """Run every worker as a task of its own on the running loop, all started at once;
    the seconds until the last one finishes. A failure cancels the others and is raised
    (the first one, unwrapped from the task group's ``ExceptionGroup``)."""
    with quiet_gc():
        start = time.perf_counter()
        try:
            async with asyncio.TaskGroup() as group:
                for worker in workers:
                    group.create_task(worker())
        except ExceptionGroup as errors:
            raise errors.exceptions[0] from errors
        return time.perf_counter() - start
