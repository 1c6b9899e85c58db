"""Capabilities, proven: each one a store declares has a test that only such a store
passes (contract rules 12 and 13; ``Capability`` in the adapter API).

- ``persistent``: close the store, open its location again, and everything is there;
- ``multi-process``: writers in several processes (started with ``spawn``) race on the
  same location, and every rule holds;
- ``ordering-levels``: a store opened at each level with the ``ordering`` option reports
  it, and a reader tailing a scope at that level misses nothing.

Each test is gated with :func:`~tidings_testkit.requires`. They need to open a store's
location again, so they skip, saying why, in a suite that sets only ``url``.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import pairwise
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from tidings import (
    Capability,
    EventStore,
    NewEvent,
    Ordering,
    Projection,
    StreamIdentifier,
    position_is,
)
from tidings_testkit._processes import CATEGORY, ProcessOutcome, write_from_process
from tidings_testkit.suite import AdapterSuite, requires
from tidings_testkit.suites._support import events
from tidings_testkit.suites.concurrency import tail_while_writing

__all__ = ["CapabilitySuite"]

PROCESSES = 3
PROCESS_ROUNDS = 12
PROCESS_TIMEOUT = 120.0
"""Seconds a spawned writer may take to start, or to finish its rounds."""


class CapabilitySuite(AdapterSuite):
    """What ``persistent``, ``multi-process`` and ``ordering-levels`` promise."""

    @requires(Capability.PERSISTENT)
    def test_events_survive_closing_and_reopening_the_store(
        self, make_store: Callable[[], EventStore], store: EventStore
    ) -> None:
        stream = store.stream(category="kept", stream="s")
        batch = [NewEvent(name="kept", id=str(uuid.uuid4()), payload={"i": i}) for i in range(3)]
        stream.publish(events=batch)
        store.category(category="kept").publish(streams={"t": events(2), "u": events(1)})
        projection = None
        if Capability.PROJECTION_STORAGE in store.capabilities:
            projection = store.projections.save(
                Projection(
                    name="kept",
                    id="s",
                    state={"count": 3},
                    source=StreamIdentifier("kept", "s"),
                    position=2,
                    sequence_number=3,
                )
            )
        log = store.log().read()
        store.close()

        again = self.reopen(make_store, store)
        assert again.log().read() == log
        reopened = again.stream(category="kept", stream="s")
        assert reopened.publish(events=batch) == log[:3], "a retry after reopening"
        more = reopened.publish(events=events(1), condition=position_is(2))
        assert more[0].position == 3
        assert more[0].sequence_number > log[-1].sequence_number
        if projection is not None:
            assert again.projections.load(name="kept", id="s") == projection

    @requires(Capability.MULTI_PROCESS)
    def test_writers_in_several_processes_keep_every_rule(self, store: EventStore) -> None:
        location = self.location(store)
        retry_ids = [[str(uuid.uuid4()) for _ in range(3)] for _ in range(PROCESS_ROUNDS)]
        context = multiprocessing.get_context("spawn")
        pipes = [context.Pipe() for _ in range(PROCESSES)]
        workers = [
            context.Process(
                target=write_from_process,
                args=(location.url, dict(location.options), p, retry_ids, child),
                daemon=True,
            )
            for p, (_, child) in enumerate(pipes)
        ]
        for worker in workers:
            worker.start()
        try:
            outcomes = _race(workers, [parent for parent, _ in pipes])
        finally:
            for worker in workers:
                worker.join(timeout=60)
                if worker.is_alive():
                    worker.kill()
        errors = [(p, error) for p, _, _, error in outcomes if error is not None]
        assert errors == [], errors

        # A checked write that succeeded landed right after the position it checked...
        landed = [pair for _, pairs, _, _ in outcomes for pair in pairs]
        assert landed, "no checked write ever succeeded"
        assert [(x, p) for x, p in landed if p != (0 if x is None else x + 1)] == []
        checked = store.stream(category=CATEGORY, stream="checked").read()
        assert [e.position for e in checked] == list(range(len(landed)))
        # ...the same id-tagged batch sent by every process was stored once...
        for n, ids in enumerate(retry_ids):
            stored = store.stream(category=CATEGORY, stream=f"retry-{n}").read()
            assert [(e.id, e.position) for e in stored] == list(zip(ids, range(3)))
            assert all(retried[n] == list(zip(ids, range(3))) for _, _, retried, _ in outcomes)
        # ...and unchecked batches kept their events together.
        unchecked = store.stream(category=CATEGORY, stream="unchecked").read()
        assert [e.position for e in unchecked] == list(range(PROCESSES * PROCESS_ROUNDS * 2))
        pairs = [(e.payload["p"], e.payload["n"]) for e in unchecked]
        assert all(a == b for a, b in zip(pairs[0::2], pairs[1::2]))
        assert Counter(p for p, _ in pairs) == dict.fromkeys(range(PROCESSES), PROCESS_ROUNDS * 2)
        numbers = [e.sequence_number for e in store.log().read()]
        assert all(a < b for a, b in pairwise(numbers))

    @requires(Capability.ORDERING_LEVELS)
    def test_tailing_readers_never_miss_an_event_at_every_ordering_level(
        self, make_store: Callable[[], EventStore], store: EventStore
    ) -> None:
        for level in Ordering:
            location = self.location(make_store())  # a fresh location for each level
            options = {**location.options, "ordering": level.value}
            leveled = self.connect(location.url, **options)
            try:
                assert leveled.ordering is level
                tail_while_writing(leveled, publishes=15)
            finally:
                leveled.close()


def _race(workers: Sequence[BaseProcess], pipes: Sequence[Connection]) -> list[ProcessOutcome]:
    """Wait until every worker has opened the store, start them together, and collect
    what each one did (or why it failed before it could race)."""
    outcomes: list[ProcessOutcome] = []
    racing: list[tuple[BaseProcess, Connection]] = []
    for worker, pipe in zip(workers, pipes):
        message = _receive(worker, pipe)
        if message == "ready":
            racing.append((worker, pipe))
        else:
            outcomes.append(message)
    for _, pipe in racing:
        pipe.send("go")
    outcomes.extend(_receive(worker, pipe) for worker, pipe in racing)
    return outcomes


def _receive(worker: BaseProcess, pipe: Connection) -> Any:
    """The next message from ``worker``, failing (not hanging) if it dies or stalls."""
    if not pipe.poll(PROCESS_TIMEOUT):
        raise AssertionError(f"{worker.name} sent nothing in {PROCESS_TIMEOUT} s")
    try:
        return pipe.recv()
    except EOFError:
        raise AssertionError(f"{worker.name} died (exit code {worker.exitcode})") from None
