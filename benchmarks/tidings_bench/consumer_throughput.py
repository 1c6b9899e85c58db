"""Consumer throughput with exactly-once checkpoints, on PostgreSQL.

The same events (``streams`` streams of ``per_stream`` events: one "created", then
deposits with ~200-byte payloads) are stored once in a tidings schema and once, through
eventsourcing's application, in an eventsourcing schema. Then, in rounds whose order
rotates, each contender consumes all of them from scratch and counts created and
subsequent events:

- ``tidings-projection``: ``store.projection_consumer(...).run(until_caught_up=True)``
  at ``batch_size`` 100 (the default) and 1,000; each page's projection and checkpoint
  are saved in one transaction;
- ``eventsourcing``: its ``ProjectionRunner`` with a ``PostgresTrackingRecorder`` view
  (:mod:`tidings_bench.peer_projection`), one transaction per event;
- ``tidings-subscription-1000``: ``store.log().subscribe(batch_size=1000,
  until_caught_up=True)`` counting them, with no projector and no checkpoint: the
  consumer's reading alone;
- ``tidings-scan``: ``store.log().iterate()`` counting the same events, decoded, with
  no checkpoint: the raw scan the target compares with.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import tidings
from tidings import NewEvent, Projector

from .backends import Places, Row
from .horizon import HorizonWatch
from .peer_projection import load_peer_events, peer_environment, run_peer_projection
from .workload import CATEGORY, payload, stream_name

__all__ = ["CONTENDERS", "measure_consumer_throughput"]

CREATED, DEPOSITED = "account-opened", "funds-deposited"
BATCH_SIZES = (100, 1_000)
CONTENDERS = (
    *(f"tidings-projection-{size}" for size in BATCH_SIZES),
    "eventsourcing",
    "tidings-subscription-1000",
    "tidings-scan",
)
ROW = Row("postgres-log", "postgres", "log")

Record = dict[str, Any]
Outcome = tuple[float, dict[str, int], Record]
"""Seconds, the counts reached, and extra figures for the record."""
Run = Callable[[int], Outcome]
"""One round from scratch, given the round's number."""


def _projector() -> Projector:
    return Projector(
        handlers={
            CREATED: lambda state, _: state.merge(created=state.get("created", 0) + 1),
            DEPOSITED: lambda state, _: state.merge(subsequent=state.get("subsequent", 0) + 1),
        },
        name="counts",
    )


def _load_tidings(store: tidings.EventStore, streams: int, per_stream: int) -> None:
    for stream in range(streams):
        events = [NewEvent(name=CREATED, payload=payload(0))] + [
            NewEvent(name=DEPOSITED, payload=payload(position)) for position in range(1, per_stream)
        ]
        store.stream(category=CATEGORY, stream=stream_name(stream)).publish(events=events)


def measure_consumer_throughput(
    places: Places, streams: int, per_stream: int, rounds: int, say: Callable[[str], None]
) -> list[Record]:
    """Every round of every contender, as records with events, seconds and rate."""
    total = streams * per_stream
    expected = {"created": streams, "subsequent": streams * (per_stream - 1)}
    mine, theirs = places.fresh(ROW), places.fresh(ROW)
    records: list[Record] = []
    try:
        store = tidings.connect(mine.tidings_url())
        try:
            started = time.perf_counter()
            _load_tidings(store, streams, per_stream)
            env = peer_environment(theirs.postgres_url, theirs.schema)
            details = [payload(index) for index in range(per_stream)]
            last_id = load_peer_events(env, streams, per_stream, details)
            loading = time.perf_counter() - started
            say(f"consumers: {total:,} events stored per system in {loading:.0f} s")
            runs: dict[str, Run] = {
                f"tidings-projection-{size}": _tidings_projection(store, size)
                for size in BATCH_SIZES
            }
            runs["eventsourcing"] = _peer(env, last_id)
            runs["tidings-subscription-1000"] = _subscription(store, 1_000)
            runs["tidings-scan"] = _scan(store)
            labels = list(runs)
            for index in range(rounds):
                shift = index % len(labels)
                for label in labels[shift:] + labels[:shift]:
                    try:
                        with HorizonWatch(mine.postgres_url) as watch:
                            seconds, counts, extra = runs[label](index)
                    except Exception as error:  # noqa: BLE001 - recorded, the run goes on
                        failure = f"{type(error).__name__}: {error}"
                        records.append(
                            {"part": "throughput", "contender": label, "round": index}
                            | {"error": failure}
                        )
                        say(f"consumers {label:<26} round {index}: failed: {failure}")
                        continue
                    record = {
                        "part": "throughput",
                        "contender": label,
                        "round": index,
                        "events": total,
                        "seconds": seconds,
                        "rate": total / seconds,
                        "counts_ok": counts == expected,
                        "horizon_stall_s": watch.longest,
                        **extra,
                    }
                    records.append(record)
                    say(f"consumers {label:<26} round {index}: {record['rate']:>9,.0f} ev/s")
        finally:
            store.close()
    finally:
        places.discard(mine)
        places.discard(theirs)
    return records


def _tidings_projection(store: tidings.EventStore, batch_size: int) -> Run:
    def run(index: int) -> Outcome:
        consumer = store.projection_consumer(
            name=f"counts-{batch_size}-{index}",
            source=store.log(),
            projector=_projector(),
            id=f"b{batch_size}-r{index}",
            batch_size=batch_size,
        )
        started = time.perf_counter()
        projection = consumer.run(until_caught_up=True)
        seconds = time.perf_counter() - started
        return seconds, dict(projection.state), {}

    return run


def _peer(env: dict[str, str], last_id: int) -> Run:
    def run(index: int) -> Outcome:
        outcome = run_peer_projection(env, f"counts{index}", last_id, timeout=600)
        counts = {"created": outcome.created, "subsequent": outcome.subsequent}
        return outcome.seconds, counts, {"startup_seconds": outcome.startup}

    return run


def _subscription(store: tidings.EventStore, batch_size: int) -> Run:
    """The subscription alone, with no projector and no checkpoint: what the consumer
    reads, so that the report can split its time into reading and the rest."""

    def run(index: int) -> Outcome:
        counts = {"created": 0, "subsequent": 0}
        started = time.perf_counter()
        subscription = store.log().subscribe(batch_size=batch_size, until_caught_up=True)
        for batch in subscription.batches():
            for event in batch:
                counts["created" if event.name == CREATED else "subsequent"] += 1
        return time.perf_counter() - started, counts, {}

    return run


def _scan(store: tidings.EventStore) -> Run:
    def run(index: int) -> Outcome:
        counts = {"created": 0, "subsequent": 0}
        started = time.perf_counter()
        for event in store.log().iterate():
            counts["created" if event.name == CREATED else "subsequent"] += 1
        return time.perf_counter() - started, counts, {}

    return run
