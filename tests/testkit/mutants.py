"""Deliberately broken copies of the reference adapter: the suite must catch each one."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

from tidings import Identifier, NoCondition, StoredEvent
from tidings.adapters import ScanRequest, StreamBatch
from tidings_memory import MemoryAdapter


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
]
