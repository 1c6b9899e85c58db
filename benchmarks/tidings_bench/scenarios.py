"""Scenarios (a)-(f) and (i), run in interleaved rounds.

Each contender gets a fresh store and an untimed :meth:`Scenario.setup`; then the
rounds alternate between contenders (the starting one rotates), so a noisy moment on a
shared machine hurts every contender alike. Events are built before each timed section.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

from .contenders import Contender
from .racing import race_threads
from .sizes import Sizes
from .stats import percentile, quiet_gc
from .workload import Write

__all__ = ["SCENARIOS", "Measure", "Scenario"]

Extra = dict[str, float | int | bool | str]


@dataclass(slots=True)
class Measure:
    """The outcome of one timed round."""

    events: int
    seconds: float
    extra: Extra = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Events (or successes) per second."""
        return self.events / self.seconds if self.seconds else float("nan")


class Scenario(ABC):
    """One scenario: setup per contender, then timed rounds, then a final check."""

    letter: ClassVar[str]
    title: ClassVar[str]

    def __init__(self, sizes: Sizes) -> None:
        self.sizes = sizes

    @property
    @abstractmethod
    def rounds(self) -> int:
        """How many timed rounds each contender runs."""

    def setup(self, contender: Contender[Any]) -> dict[str, Any]:
        """Untimed preparation; returns the contender's state for the rounds."""
        return {}

    @abstractmethod
    def run_round(self, contender: Contender[Any], state: dict[str, Any], index: int) -> Measure:
        """Round ``index``: build its events untimed, then time the work."""

    def finish(self, contender: Contender[Any], state: dict[str, Any]) -> Extra:
        """Checks and statistics over every round."""
        return {}


class SingleAppends(Scenario):
    """(a) One event per call, one writer, ``a_streams`` x ``a_events``; round k appends
    position k to every stream. Latency percentiles pool every call."""

    letter, title = "a", "(a) 1 event per call"

    @property
    def rounds(self) -> int:
        return self.sizes.a_events

    def setup(self, contender: Contender[Any]) -> dict[str, Any]:
        return {"latencies": []}

    def run_round(self, contender: Contender[Any], state: dict[str, Any], index: int) -> Measure:
        prepared = contender.prepare([Write(s, index) for s in range(self.sizes.a_streams)])
        return _timed_appends(contender, prepared, self.sizes.a_streams, state["latencies"])

    def finish(self, contender: Contender[Any], state: dict[str, Any]) -> Extra:
        latencies = state["latencies"]
        return {
            "p50_ms": percentile(latencies, 50) / 1e6,
            "p99_ms": percentile(latencies, 99) / 1e6,
        }


class BatchAppends(Scenario):
    """(b) ``b_batch`` events per call, each call to a new stream."""

    letter, title = "b", "(b) 100 events per call"

    @property
    def rounds(self) -> int:
        return self.sizes.b_rounds

    def run_round(self, contender: Contender[Any], state: dict[str, Any], index: int) -> Measure:
        first = index * self.sizes.b_calls
        writes = [Write(first + s, 0, self.sizes.b_batch) for s in range(self.sizes.b_calls)]
        events = self.sizes.b_calls * self.sizes.b_batch
        return _timed_appends(contender, contender.prepare(writes), events, None)


class StreamReads(Scenario):
    """(c) Read one stream of ``c_events`` events into memory, ``c_reads`` times a round."""

    letter, title = "c", "(c) read 1 stream, decoded"

    @property
    def rounds(self) -> int:
        return self.sizes.c_rounds

    def setup(self, contender: Contender[Any]) -> dict[str, Any]:
        contender.bulk_load(0, 1, self.sizes.c_events)
        return {}

    def run_round(self, contender: Contender[Any], state: dict[str, Any], index: int) -> Measure:
        with quiet_gc():
            start = time.perf_counter()
            total = sum(contender.read_stream(0) for _ in range(self.sizes.c_reads))
            elapsed = time.perf_counter() - start
        _expect(total, self.sizes.c_events * self.sizes.c_reads, "stream read")
        return Measure(total, elapsed)


class LogReads(Scenario):
    """(d) Read the whole log of ``d_events`` events in pages of ``d_page``, once a round."""

    letter, title = "d", "(d) read the log in pages"

    @property
    def rounds(self) -> int:
        return self.sizes.d_rounds

    def setup(self, contender: Contender[Any]) -> dict[str, Any]:
        contender.bulk_load(0, self.sizes.d_events // 100, 100)
        return {}

    def run_round(self, contender: Contender[Any], state: dict[str, Any], index: int) -> Measure:
        with quiet_gc():
            start = time.perf_counter()
            total = contender.read_log(self.sizes.d_page)
            elapsed = time.perf_counter() - start
        _expect(total, self.sizes.d_events // 100 * 100, "log read")
        return Measure(total, elapsed)


class ConcurrentAppends(Scenario):
    """(e) ``e_threads`` writers of single events, each on ``e_streams`` streams of its
    own; round k appends position k to every stream."""

    letter, title = "e", "(e) 4 writers, own streams"

    @property
    def rounds(self) -> int:
        return self.sizes.e_events

    def run_round(self, contender: Contender[Any], state: dict[str, Any], index: int) -> Measure:
        streams = self.sizes.e_streams
        plans = [
            contender.prepare([Write(t * streams + s, index) for s in range(streams)])
            for t in range(self.sizes.e_threads)
        ]
        return Measure(streams * self.sizes.e_threads, contender.append_concurrently(plans))


class AsyncAppends(Scenario):
    """(i) The writes of (e), ``e_threads`` x ``e_streams`` streams with one event per
    round, made by ``i_tasks`` asyncio tasks on one ``connect_async`` store (the streams
    dealt round-robin, so each task has its own), alternating with the sync store's
    ``e_threads`` threads. An untimed warm-up round on other streams lets both pools
    grow first."""

    letter, title = "i", "(i) async tasks, own streams"

    @property
    def rounds(self) -> int:
        return self.sizes.e_events

    def setup(self, contender: Contender[Any]) -> dict[str, Any]:
        self._round(contender, self._streams, 0)
        return {}

    def run_round(self, contender: Contender[Any], state: dict[str, Any], index: int) -> Measure:
        return self._round(contender, 0, index)

    @property
    def _streams(self) -> int:
        return self.sizes.e_threads * self.sizes.e_streams

    def _round(self, contender: Contender[Any], first: int, position: int) -> Measure:
        streams = self._streams
        workers = self.sizes.i_tasks if contender.asynchronous else self.sizes.e_threads
        plans = [
            contender.prepare([Write(first + s, position) for s in range(w, streams, workers)])
            for w in range(workers)
        ]
        return Measure(streams, contender.append_concurrently(plans), {"workers": workers})


class ContendedAppends(Scenario):
    """(f) ``f_writers`` writers on one stream, each reading the last position and
    appending on the condition that it is still last, retrying on conflict. Successes
    per second; the stream must end holding positions 0..N-1 exactly."""

    letter, title = "f", "(f) 4 writers, 1 stream"

    @property
    def rounds(self) -> int:
        return self.sizes.f_rounds

    def setup(self, contender: Contender[Any]) -> dict[str, Any]:
        return {"conflicts": 0, "successes": 0}

    def run_round(self, contender: Contender[Any], state: dict[str, Any], index: int) -> Measure:
        quota = self.sizes.f_successes // (self.sizes.f_rounds * self.sizes.f_writers)
        plans = [
            contender.prepare([Write(0, i) for i in range(quota)])
            for _ in range(self.sizes.f_writers)
        ]
        conflicts = [0] * len(plans)

        def write(number: int) -> None:
            for item in plans[number]:
                while not contender.append_next(item):
                    conflicts[number] += 1

        elapsed = race_threads([partial(write, number) for number in range(len(plans))])
        successes = quota * len(plans)
        state["conflicts"] += sum(conflicts)
        state["successes"] += successes
        return Measure(successes, elapsed, {"conflicts": sum(conflicts)})

    def finish(self, contender: Contender[Any], state: dict[str, Any]) -> Extra:
        positions = contender.positions(0)
        successes, conflicts = state["successes"], state["conflicts"]
        return {
            "successes": successes,
            "conflict_share": conflicts / (conflicts + successes),
            "stored": len(positions),
            "positions_ok": positions == list(range(successes)),
        }


def _timed_appends(
    contender: Contender[Any], prepared: list[Any], events: int, latencies: list[float] | None
) -> Measure:
    """Append every prepared write in order; with ``latencies``, record each call's."""
    clock = time.perf_counter_ns
    append = contender.append
    with quiet_gc():
        start = clock()
        if latencies is None:
            for item in prepared:
                append(item)
        else:
            for item in prepared:
                began = clock()
                append(item)
                latencies.append(clock() - began)
        elapsed = clock() - start
    return Measure(events, elapsed / 1e9)


def _expect(found: int, expected: int, what: str) -> None:
    if found != expected:
        raise AssertionError(f"{what} returned {found} events, expected {expected}")


SCENARIOS: dict[str, type[Scenario]] = {
    scenario.letter: scenario
    for scenario in (
        SingleAppends,
        BatchAppends,
        StreamReads,
        LogReads,
        ConcurrentAppends,
        ContendedAppends,
        AsyncAppends,
    )
}
"""The interleaved scenarios; (g) and (h) have modules of their own."""
