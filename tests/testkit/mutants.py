"""Deliberately broken copies of the reference adapter: the suite must catch each one.

Four are the races a networked adapter gets wrong (a Redis adapter with Lua
scripts planted them first): a step that must be atomic is split in two, with a round
trip between, as a client that reads, decides, then writes would split it. The round
trip is a short sleep, far shorter than a real network's. The last two break the
compare-and-set adapter (``OptimisticAdapter``): a commit that does not compare what the
core decided on.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from tidings import Identifier, NoCondition, StoredEvent
from tidings.adapters import Commit, ScanRequest, StreamBatch, build_stored_events, match_retry
from tidings_memory import MemoryAdapter

sys.path.insert(0, str(Path(__file__).parent / "throwaway_adapter" / "src"))
from tidings_throwaway.adapter import ThrowawayAdapter

ROUND_TRIP = 0.0005
"""Seconds between the two halves of a split atomic step: half a millisecond."""


class IgnoresConditions(MemoryAdapter):
    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        return super().publish([replace(b, condition=NoCondition()) for b in batches])


class PositionsFromOne(MemoryAdapter):
    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        return [[replace(e, position=e.position + 1) for e in r] for r in super().publish(batches)]


class IgnoresAfter(MemoryAdapter):
    def scan(self, request: ScanRequest) -> Iterator[StoredEvent]:
        return super().scan(replace(request, after=None))


class IgnoresNames(MemoryAdapter):
    def scan(self, request: ScanRequest) -> Iterator[StoredEvent]:
        return super().scan(replace(request, names=None))


class IgnoresLimit(MemoryAdapter):
    def scan(self, request: ScanRequest) -> Iterator[StoredEvent]:
        return super().scan(replace(request, limit=None))


class NotAtomicAcrossStreams(MemoryAdapter):
    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        return [super(NotAtomicAcrossStreams, self).publish([b])[0] for b in batches]


class WritesRetriesAgain(MemoryAdapter):
    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        stripped = [
            replace(b, events=tuple(replace(e, id=None) for e in b.events)) for b in batches
        ]
        return super().publish(stripped)


class LatestIsOldest(MemoryAdapter):
    def latest(self, target: Identifier) -> StoredEvent | None:
        return next(iter(self.scan(ScanRequest(target))), None)


class ChecksOutsideTheLock(MemoryAdapter):
    """Checks the condition, lets other writers in, then writes unchecked."""

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        for batch in batches:
            stream_events = list(self.scan(ScanRequest(batch.stream)))
            last = stream_events[-1] if stream_events else None
            batch.condition.assert_met_by(last_event=last, stream=batch.stream)
        time.sleep(0.01)
        return super().publish([replace(b, condition=NoCondition()) for b in batches])


class InterleavesBatches(MemoryAdapter):
    """Writes each event of a batch separately, so concurrent batches interleave."""

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        results: list[list[StoredEvent]] = []
        for batch in batches:
            stored: list[StoredEvent] = []
            for event in batch.events:
                time.sleep(0.0005)
                one = replace(batch, events=(event,))
                stored.extend(super().publish([one])[0])
            if not batch.events:
                super().publish([batch])
            results.append(stored)
        return results


class ChecksConditionBeforeTheWrite(MemoryAdapter):
    """Reads the stream's head and checks the condition in one step, then writes in
    another: the check and the write are each atomic, but not together."""

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        with self._log.lock:
            for batch in batches:
                stream_events = self._log.by_stream.get(batch.stream)
                last = stream_events[-1] if stream_events else None
                batch.condition.assert_met_by(last_event=last, stream=batch.stream)
        time.sleep(ROUND_TRIP)
        return super().publish([replace(b, condition=NoCondition()) for b in batches])


class ChecksIdsBeforeTheWrite(MemoryAdapter):
    """Asks which ids are stored in one step, then writes (condition checked) in
    another, without looking at the ids again."""

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        log = self._log
        with log.lock:
            seen = {i: log.by_id[i] for batch in batches for i in batch.ids if i in log.by_id}
        retried = [match_retry(b, {i: seen[i] for i in b.ids if i in seen}) for b in batches]
        time.sleep(ROUND_TRIP)
        with log.lock:
            for batch, again in zip(batches, retried):
                if again is None:
                    stream_events = log.by_stream.get(batch.stream)
                    last = stream_events[-1] if stream_events else None
                    batch.condition.assert_met_by(last_event=last, stream=batch.stream)
            recorded_at = datetime.now(UTC)
            results: list[list[StoredEvent]] = []
            for batch, again in zip(batches, retried):
                if again is not None:
                    results.append(again)
                    continue
                stream_events = log.by_stream.setdefault(batch.stream, [])
                new = build_stored_events(
                    batch,
                    first_position=len(stream_events),
                    first_sequence_number=len(log.events) + 1,
                    recorded_at=recorded_at,
                )
                stream_events.extend(new)
                log.by_category.setdefault(batch.stream.category, []).extend(new)
                log.events.extend(new)
                log.by_id.update((event.id, event) for event in new)
                results.append(new)
            return results


class ScansEagerly(MemoryAdapter):
    """Reads the whole scope before yielding the first event."""

    def scan(self, request: ScanRequest) -> Iterator[StoredEvent]:
        return iter(list(super().scan(request)))


class AtomicOnlyWithoutContention(MemoryAdapter):
    """A multi-stream publish is one atomic step when no other publish is in flight;
    under contention it falls back to one stream at a time, as a client whose
    transaction keeps aborting might."""

    def __init__(self) -> None:
        super().__init__()
        self._in_flight = 0
        self._counter = threading.Lock()

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        with self._counter:
            self._in_flight += 1
            contended = self._in_flight > 1
        try:
            if len(batches) < 2 or not contended:
                return super().publish(batches)
            results = []
            for batch in batches:
                results.append(super().publish([batch])[0])
                time.sleep(ROUND_TRIP)
            return results
        finally:
            with self._counter:
                self._in_flight -= 1


class CommitIgnoresHeads(ThrowawayAdapter):
    """A compare-and-set adapter whose commit forgets to compare the stream heads."""

    def commit(self, commit: Commit) -> list[list[StoredEvent]] | None:
        time.sleep(ROUND_TRIP)  # from the core's read to the backend's commit
        return super().commit(replace(commit, expected={}))


class CommitIgnoresIds(ThrowawayAdapter):
    """A compare-and-set adapter whose commit forgets to check that the ids are new."""

    def commit(self, commit: Commit) -> list[list[StoredEvent]] | None:
        time.sleep(ROUND_TRIP)  # from the core's read to the backend's commit
        return super().commit(replace(commit, absent_ids=frozenset()))


MUTANTS = [
    IgnoresConditions,
    PositionsFromOne,
    IgnoresAfter,
    IgnoresNames,
    IgnoresLimit,
    NotAtomicAcrossStreams,
    WritesRetriesAgain,
    LatestIsOldest,
    ChecksOutsideTheLock,
    InterleavesBatches,
    ChecksConditionBeforeTheWrite,
    ChecksIdsBeforeTheWrite,
    ScansEagerly,
    AtomicOnlyWithoutContention,
    CommitIgnoresHeads,
    CommitIgnoresIds,
]
