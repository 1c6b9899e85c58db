"""eventsourcing's live follower on PostgreSQL, for the latency part: its application
recorder's ``subscribe()`` (a LISTEN/NOTIFY subscription whose writers ``NOTIFY``
inside their insert transaction), fed by 4 writer threads calling ``insert_events``
with single events, as the tidings writers of :mod:`tidings_bench.follow_latency` do.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent

from .backends import Location
from .contenders.peer import TOPIC, open_recorder
from .follow_latency import DEADLINE, LatencyCase, Sent, clock_ns, result
from .workload import payload_bytes

__all__ = ["peer_round"]

WARM_UP = UUID(int=0)


def peer_round(case: LatencyCase, location: Location, per_writer: int) -> dict[str, Any]:
    """One round: a subscriber from the current end, then the writers; the record."""
    recorder, datastore = open_recorder(location)
    expected = case.writers * per_writer
    received: dict[tuple[str, int], int] = {}
    deliveries = 0
    warmed, finished = threading.Event(), threading.Event()
    subscription = recorder.subscribe(gt=recorder.max_notification_id())

    def follow() -> None:
        nonlocal deliveries
        for notification in subscription:
            now = clock_ns()
            if notification.originator_id == WARM_UP:
                warmed.set()
                continue
            deliveries += 1
            received[(str(notification.originator_id), notification.originator_version)] = now
            if len(received) >= expected:
                finished.set()
                return

    thread = threading.Thread(target=follow, daemon=True)
    try:
        with subscription:
            thread.start()
            recorder.insert_events([StoredEvent(WARM_UP, 0, TOPIC, b"{}")])
            if not warmed.wait(DEADLINE):
                raise TimeoutError("eventsourcing: the follower never saw the warm-up event")
            time.sleep(0.2)  # let the follower settle into its wait
            sent = _write(recorder, case.writers, per_writer)
            finished.wait(DEADLINE)
            subscription.stop()
            thread.join(DEADLINE)
    finally:
        if datastore is not None:
            datastore.close()
    return result(case, "subscription", sent, received, deliveries)


def _write(recorder: ApplicationRecorder, writers: int, per_writer: int) -> list[Sent]:
    sent: list[list[Sent]] = [[] for _ in range(writers)]
    barrier = threading.Barrier(writers)

    def write(writer: int) -> None:
        originator = UUID(int=writer + 1)
        state = payload_bytes(writer)
        barrier.wait()
        for version in range(per_writer):
            called = clock_ns()
            recorder.insert_events([StoredEvent(originator, version, TOPIC, state)])
            sent[writer].append(Sent(str(originator), version, called, clock_ns()))

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [item for found in sent for item in found]
