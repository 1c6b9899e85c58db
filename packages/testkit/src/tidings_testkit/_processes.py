"""What the ``multi-process`` capability test runs in the processes it spawns.

Kept apart from the suites so that a spawned process imports tidings and the adapter,
not pytest and Hypothesis: a spawned process starts from nothing and imports the target's
module first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection
from typing import Any

import tidings
from tidings import NewEvent, UnmetWriteConditionError, position_is

__all__ = ["CATEGORY", "ProcessOutcome", "write_from_process"]

CATEGORY = "processes"

ProcessOutcome = tuple[int, list[tuple[int | None, int]], list[list[tuple[str, int]]], str | None]
"""(process, the (checked position, landed position) of each successful checked write,
the (id, position) of each retried batch as returned, the error or None)."""


def write_from_process(
    url: str,
    options: Mapping[str, Any],
    process: int,
    retry_ids: Sequence[Sequence[str]],
    parent: Connection,
) -> None:
    """Open the store at ``url``, say so to the parent and wait for its word, then race
    the other processes: per round, send the round's id-tagged batch (every process
    sends the same one), make a checked write to a shared stream and an unchecked
    two-event write to another. The outcome goes back through ``parent``, a pipe: pipes
    need no semaphores, which the resource tracker of a spawned process mishandles."""
    landed: list[tuple[int | None, int]] = []
    retried: list[list[tuple[str, int]]] = []
    try:
        with tidings.connect(url, **options) as store:
            shared = store.stream(category=CATEGORY, stream="checked")
            unchecked = store.stream(category=CATEGORY, stream="unchecked")
            parent.send("ready")
            if parent.recv() != "go":
                return
            for n, ids in enumerate(retry_ids):
                batch = [NewEvent(name="retried", id=i, payload={"n": n}) for i in ids]
                stored = store.stream(category=CATEGORY, stream=f"retry-{n}").publish(events=batch)
                retried.append([(event.id, event.position) for event in stored])
                latest = shared.latest()
                expected = None if latest is None else latest.position
                try:
                    written = shared.publish(
                        events=[NewEvent(name="checked", payload={"p": process, "x": expected})],
                        condition=position_is(expected),
                    )
                    landed.append((expected, written[0].position))
                except UnmetWriteConditionError:
                    pass
                unchecked.publish(
                    events=[
                        NewEvent(name="unchecked", payload={"p": process, "n": n, "i": i})
                        for i in range(2)
                    ]
                )
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails
        parent.send((process, landed, retried, f"{type(error).__name__}: {error}"))
        return
    parent.send((process, landed, retried, None))
