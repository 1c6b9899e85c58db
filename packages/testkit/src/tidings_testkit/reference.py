"""The reference model the stateful suite compares every adapter with.

It ships inside the testkit, so ``pip install tidings-core tidings-testkit`` plus an
adapter is enough to run every suite, whatever ``TIDINGS_LOAD_PLUGINS`` says. It is the
contract written as plainly as possible, never fast: one lock around a list, the publish
algorithm of ``docs/adapters.md`` step by step, and scans that filter the whole list.
It is independent of every adapter, so comparing the memory adapter with it still
compares two implementations.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn

from tidings.adapters import (
    CategoryIdentifier,
    Identifier,
    ScanRequest,
    StorageAdapter,
    StoredEvent,
    StreamBatch,
    StreamIdentifier,
    build_stored_events,
    match_retry,
)

__all__ = ["ReferenceAdapter"]


class ReferenceAdapter(StorageAdapter):
    """An obviously correct in-memory store; open it with ``EventStore(ReferenceAdapter())``."""

    scheme = "testkit-reference"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[StoredEvent] = []

    @classmethod
    def from_url(cls, url: Any, options: Any) -> NoReturn:
        raise TypeError("the reference model has no URL: use EventStore(ReferenceAdapter())")

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        with self._lock:
            # 1. Decide every batch before writing any: a retry first, then the condition.
            planned: list[list[StoredEvent] | None] = []
            for batch in batches:
                ids = set(batch.ids)
                stored = {e.id: e for e in self._events if e.id in ids}
                retried = match_retry(batch, stored)
                if retried is None:
                    last = self._last(batch.stream)
                    batch.condition.assert_met_by(last_event=last, stream=batch.stream)
                planned.append(retried)
            # 2. Write the batches that are not retries, with one recorded_at.
            recorded_at = datetime.now(UTC)
            results: list[list[StoredEvent]] = []
            for batch, retried in zip(batches, planned):
                if retried is not None:
                    results.append(retried)
                    continue
                last = self._last(batch.stream)
                new = build_stored_events(
                    batch,
                    first_position=0 if last is None else last.position + 1,
                    first_sequence_number=len(self._events) + 1,
                    recorded_at=recorded_at,
                )
                self._events.extend(new)
                results.append(new)
            return results

    def scan(self, request: ScanRequest) -> Iterator[StoredEvent]:
        with self._lock:
            events = list(self._events)
        after = request.after or 0
        selected = [
            event
            for event in events
            if _in(event, request.target)
            and event.sequence_number > after
            and (request.names is None or event.name in request.names)
        ]
        return iter(selected if request.limit is None else selected[: request.limit])

    def latest(self, target: Identifier) -> StoredEvent | None:
        with self._lock:
            return next((e for e in reversed(self._events) if _in(e, target)), None)

    def _last(self, stream: StreamIdentifier) -> StoredEvent | None:
        return next((e for e in reversed(self._events) if _in(e, stream)), None)


def _in(event: StoredEvent, target: Identifier) -> bool:
    if isinstance(target, StreamIdentifier):
        return (event.category, event.stream) == (target.category, target.stream)
    if isinstance(target, CategoryIdentifier):
        return event.category == target.category
    return True
