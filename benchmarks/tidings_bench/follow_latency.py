"""Publish-to-handler latency of a live follower.

Each writer reads the system-wide monotonic clock (``CLOCK_MONOTONIC``, the same in
every process on the machine) just before it calls ``publish`` and just after it
returns, and keeps both under the stored event's (stream, position). The follower reads
the clock when the event reaches it. From call to follower is the latency the issue
asks for: it includes the publish itself (its commit), the wake-up and the follower's
read. From return to follower is the wake-up and the read alone (it can be negative:
a follower may see a commit before its writer's ``publish`` has returned).

Cases, each on a fresh store per round:

- ``postgres``: 4 writer threads publish single events to streams of their own, as
  fast as they can, while a follower in the same process follows the log, with
  LISTEN/NOTIFY on (the adapter's default) and the default ``poll_interval`` of 1 s;
- ``postgres-poll``: the same with ``notify=false``, so only the poll wakes a caught-up
  follower (the fallback, for reference);
- ``sqlite``: a writer in another process publishes single events, one every
  ``pace`` seconds, to a file that the follower's process watches through
  ``PRAGMA data_version``.

The follower is a durable consumer (``store.consumer``, whose handler gets the event)
or a bare subscription (``scope.subscribe``, iterated); rounds alternate between them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tidings
from tidings import NewEvent, StoredEvent

from .backends import Location, Places, Row
from .horizon import HorizonWatch
from .stats import median, percentile
from .workload import CATEGORY, payload

__all__ = ["CASES", "DEADLINE", "LatencyCase", "Sent", "clock_ns", "measure_latency", "result"]

FOLLOWERS = ("consumer", "subscription")
WARM_UP = "warm-up"
DEADLINE = 60.0
"""Seconds a round waits for its follower to receive every event before it gives up."""

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Sent:
    """One published event: its stream and position, and the clock around its publish."""

    stream: str
    position: int
    called: int
    returned: int

    @property
    def key(self) -> tuple[str, int]:
        """What the follower records it under."""
        return self.stream, self.position


def clock_ns() -> int:
    """The system-wide monotonic clock, comparable across processes on one machine."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


@dataclass(frozen=True, slots=True)
class LatencyCase:
    """One latency setting: where, how many writers, how fast."""

    key: str
    row: Row
    writers: int
    pace: float
    """Seconds each writer sleeps between two publishes (0: as fast as it can)."""
    processes: bool
    """Whether the writers run in other processes (else threads of this one)."""
    options: str = ""
    """Extra config-string options of the store."""
    system: str = "tidings"
    """``tidings``, or ``eventsourcing`` (its recorder's LISTEN/NOTIFY subscription)."""

    @property
    def followers(self) -> tuple[str, ...]:
        """The followers measured: a consumer and a subscription (eventsourcing's
        recorder has only the subscription)."""
        return FOLLOWERS if self.system == "tidings" else ("subscription",)


CASES = {
    "postgres": LatencyCase("postgres", Row("postgres-log", "postgres", "log"), 4, 0.0, False),
    "postgres-poll": LatencyCase(
        "postgres-poll", Row("postgres-log", "postgres", "log"), 4, 0.0, False, "notify=false"
    ),
    "postgres-eventsourcing": LatencyCase(
        "postgres-eventsourcing",
        Row("postgres-log", "postgres", "log"),
        4,
        0.0,
        False,
        system="eventsourcing",
    ),
    "sqlite": LatencyCase("sqlite", Row("sqlite-full", "sqlite", "full"), 1, 0.005, True),
}


def _watch(location: Location) -> contextlib.AbstractContextManager[HorizonWatch | None]:
    """A horizon watch on PostgreSQL; nothing elsewhere."""
    if location.postgres_url:
        return HorizonWatch(location.postgres_url)
    return contextlib.nullcontext()


def _url(case: LatencyCase, location: Location) -> str:
    url = location.tidings_url()
    if case.options:
        url += ("&" if "?" in url else "?") + case.options
    return url


def measure_latency(
    places: Places,
    cases: list[LatencyCase],
    events: int,
    rounds: int,
    say: Callable[[str], None],
) -> list[Record]:
    """Every round of every (case, follower), rounds interleaved: a record each.
    Each round publishes ``events`` events, shared among the case's writers."""
    records: list[Record] = []
    pairs = [(case, follower) for case in cases for follower in case.followers]
    for index in range(rounds):
        shift = index % len(pairs)
        for case, follower in pairs[shift:] + pairs[:shift]:
            label = f"latency {case.key:<22} {follower:<12} round {index}"
            try:
                record = _measured_round(places, case, follower, max(events // case.writers, 1))
            except Exception as error:  # noqa: BLE001 - recorded, the run goes on
                records.append(
                    {
                        "part": "latency",
                        "case": case.key,
                        "follower": follower,
                        "round": index,
                        "error": f"{type(error).__name__}: {error}",
                    }
                )
                say(f"{label}: failed: {records[-1]['error']}")
                continue
            record["round"] = index
            records.append(record)
            say(
                f"{label}: p50 {record['p50_ms']:.2f} ms, p99 {record['p99_ms']:.2f} ms, "
                f"{record['received']}/{record['expected']} received"
            )
    return records


def _measured_round(places: Places, case: LatencyCase, follower: str, per_writer: int) -> Record:
    """One round on a fresh location, with the horizon watched on PostgreSQL."""
    location = places.fresh(case.row)
    try:
        with _watch(location) as watch:
            if case.system == "eventsourcing":
                from .peer_latency import peer_round  # imports eventsourcing

                record = peer_round(case, location, per_writer)
            else:
                record = _round(case, follower, _url(case, location), per_writer)
        record["horizon_stall_s"] = watch.longest if watch else float("nan")
        return record
    finally:
        places.discard(location)


def _round(case: LatencyCase, follower: str, url: str, per_writer: int) -> Record:
    expected = case.writers * per_writer
    received: dict[tuple[str, int], int] = {}
    warmed, finished = threading.Event(), threading.Event()

    def handle(event: StoredEvent) -> None:
        now = clock_ns()
        if event.name == WARM_UP:
            warmed.set()
            return
        received[(event.stream, event.position)] = now
        if len(received) >= expected:
            finished.set()

    deliveries = 0

    def count(event: StoredEvent) -> None:
        nonlocal deliveries
        if event.name != WARM_UP:
            deliveries += 1
        handle(event)

    store = tidings.connect(url)
    try:
        store.stream(category="bench", stream="warm-up").publish(
            events=[NewEvent(name=WARM_UP, payload={})]
        )
        stop, thread = _follow(store, follower, count, finished)
        try:
            if not warmed.wait(DEADLINE):
                raise TimeoutError(f"{case.key}: the follower never saw the warm-up event")
            time.sleep(0.2)  # let the follower settle into its wait
            sent = _write(case, url, per_writer)
            finished.wait(DEADLINE)
        finally:
            stop()
            thread.join(DEADLINE)
    finally:
        store.close()
    return result(case, follower, sent, received, deliveries)


def result(
    case: LatencyCase,
    follower: str,
    sent: list[Sent],
    received: dict[tuple[str, int], int],
    deliveries: int,
) -> Record:
    """The record of one round: what arrived, how fast it was written, the latencies."""
    return {
        "part": "latency",
        "case": case.key,
        "system": case.system,
        "follower": follower,
        "writers": case.writers,
        "pace_ms": case.pace * 1000,
        "expected": len(sent),
        "received": len(received),
        "duplicates": deliveries - len(received),
        "strays": len(set(received) - {s.key for s in sent}),
        "write_rate": len(sent) / _span(sent),
        **_latencies(sent, received),
    }


def _span(sent: list[Sent]) -> float:
    """Seconds from the first publish call to the last return, over every writer."""
    return max(max(s.returned for s in sent) - min(s.called for s in sent), 1) / 1e9


def _latencies(sent: list[Sent], received: dict[tuple[str, int], int]) -> Record:
    """Percentiles of publish call to handler (the issue's measure) and of publish
    return to handler (the wake-up and the read alone), in ms."""
    from_call = [(received[s.key] - s.called) / 1e6 for s in sent if s.key in received]
    from_return = [(received[s.key] - s.returned) / 1e6 for s in sent if s.key in received]
    publish = [(s.returned - s.called) / 1e6 for s in sent]
    return {
        "p50_ms": median(from_call),
        "p99_ms": percentile(from_call, 99),
        "max_ms": max(from_call, default=float("nan")),
        "after_commit_p50_ms": median(from_return),
        "after_commit_p99_ms": percentile(from_return, 99),
        "publish_p50_ms": median(publish),
        "publish_p99_ms": percentile(publish, 99),
    }


def _follow(
    store: tidings.EventStore,
    follower: str,
    handle: Callable[[StoredEvent], None],
    finished: threading.Event,
) -> tuple[Callable[[], None], threading.Thread]:
    """Start the follower in a thread; return how to stop it, and the thread."""
    if follower == "consumer":
        consumer = store.consumer(name="latency", source=store.log(), handler=handle)
        thread = threading.Thread(target=consumer.run, daemon=True)
        thread.start()
        return consumer.stop, thread
    subscription = store.log().subscribe(start="beginning")

    def run() -> None:
        for event in subscription:
            handle(event)
            if finished.is_set():
                return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return subscription.close, thread


def _write(case: LatencyCase, url: str, per_writer: int) -> list[Sent]:
    """Run the case's writers to the end; return what each publish stored, and when."""
    if case.processes:
        context = multiprocessing.get_context("spawn")
        with context.Pool(case.writers) as pool:
            results = pool.starmap(
                write_events,
                [(url, writer, per_writer, case.pace) for writer in range(case.writers)],
            )
        return [value for result in results for value in result]
    durations: list[list[Sent]] = [[] for _ in range(case.writers)]
    with tidings.connect(url) as store:
        barrier = threading.Barrier(case.writers)
        threads = [
            threading.Thread(
                target=lambda w=writer: durations[w].extend(
                    write_events(url, w, per_writer, case.pace, store, barrier)
                )
            )
            for writer in range(case.writers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return [value for found in durations for value in found]


def write_events(
    url: str,
    writer: int,
    count: int,
    pace: float,
    store: tidings.EventStore | None = None,
    barrier: threading.Barrier | None = None,
) -> list[Sent]:
    """Publish ``count`` single events to stream ``lat-<writer>``, each stamped with the
    clock just before its publish; return each event's key and times. Opens its own
    store when given none (in a writer process)."""
    own = store is None
    active = tidings.connect(url) if store is None else store
    try:
        stream = active.stream(category=CATEGORY, stream=f"lat-{writer}")
        body = payload(writer)
        sent: list[Sent] = []
        if barrier is not None:
            barrier.wait()
        for _ in range(count):
            called = clock_ns()
            (stored,) = stream.publish(events=[NewEvent(name="funds-deposited", payload=body)])
            sent.append(Sent(stored.stream, stored.position, called, clock_ns()))
            if pace:
                time.sleep(pace)
        return sent
    finally:
        if own:
            active.close()
