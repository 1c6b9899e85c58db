"""An in-memory store: thread-safe, serialised at log level, shareable by name.

``memory://`` opens a private store; ``memory://name`` opens the store of that name,
shared by everyone in the process who opens the same name.

Like a database, the store owns its events: it keeps payloads and metadata as JSON text
(:func:`~tidings.adapters.shared_stored_event`), and its events decode afresh from that
text on every access without keeping the result, so it hands out the events it keeps,
without copying, and still no caller can change a stored event by mutating what it
published or read. A read pays only for the payloads its caller looks at.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Self

from tidings.adapters import (
    URL,
    AsyncStorageAdapter,
    Capability,
    CategoryIdentifier,
    ConfigurationError,
    DirectBridge,
    Identifier,
    LogIdentifier,
    ScanRequest,
    StorageAdapter,
    StoredEvent,
    StreamBatch,
    StreamIdentifier,
    build_stored_events,
    match_retry,
    shared_stored_event,
)
from tidings_memory.projections import MemoryProjectionStorage

__all__ = ["MemoryAdapter", "MemoryOptions"]


MAX_PAGE_SIZE = 1_000_000
"""The most events a scan may copy out per lock acquisition."""


@dataclass(frozen=True, slots=True)
class MemoryOptions:
    """Options of ``memory://``."""

    page_size: int = 1000
    """How many events a lazy scan copies out per lock acquisition (1 to
    :data:`MAX_PAGE_SIZE`)."""

    def __post_init__(self) -> None:
        size = self.page_size
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
            raise ConfigurationError(
                f"option 'page_size' must be an int from 1 to {MAX_PAGE_SIZE}, got {size!r}"
            )


@dataclass(slots=True)
class _Log:
    """The events of one store, indexed by scope; guarded by ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    projections: MemoryProjectionStorage = field(default_factory=MemoryProjectionStorage)
    events: list[StoredEvent] = field(default_factory=list)
    by_category: dict[str, list[StoredEvent]] = field(default_factory=dict)
    by_stream: dict[StreamIdentifier, list[StoredEvent]] = field(default_factory=dict)
    by_id: dict[str, StoredEvent] = field(default_factory=dict)
    changed: threading.Condition = field(init=False)
    """Notified, under ``lock``, whenever events are appended: subscribers wake on it."""

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def scope(self, target: Identifier) -> list[StoredEvent]:
        if isinstance(target, StreamIdentifier):
            return self.by_stream.get(target, [])
        if isinstance(target, CategoryIdentifier):
            return self.by_category.get(target.category, [])
        return self.events


_named_logs: dict[str, _Log] = {}
_named_logs_lock = threading.Lock()


class MemoryAdapter(StorageAdapter):
    """The reference adapter: every rule of the contract, no persistence."""

    scheme = "memory"
    capabilities = frozenset(
        {Capability.PROJECTION_STORAGE, Capability.COMPARE_AND_SET, Capability.NATIVE_ASYNC}
    )
    options_type = MemoryOptions

    def __init__(self, *, name: str | None = None, options: MemoryOptions | None = None) -> None:
        self.name = name
        self.options = options or MemoryOptions()
        if name is None:
            self._log = _Log()
        else:
            with _named_logs_lock:
                self._log = _named_logs.setdefault(name, _Log())

    @classmethod
    def from_url(cls, url: URL, options: MemoryOptions) -> Self:
        if url.path or url.username or url.port:
            # Not quoted: a password with an unencoded "/" (memory://u:/secret@h) parses
            # as part of the path.
            raise ConfigurationError(
                "a memory:// config string names at most a store (memory://name), without "
                "a path, user or port; use memory:// or memory://name"
            )
        return cls(name=url.host, options=options)

    @classmethod
    def open_async(cls, url: URL, options: MemoryOptions) -> AsyncStorageAdapter:
        """Natively async: nothing here blocks on I/O, so calls run on the event loop."""
        return DirectBridge(cls.from_url(url, options))

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        log = self._log
        with log.lock:
            planned: list[list[StoredEvent] | None] = []
            for batch in batches:
                ids = batch.ids
                stored = {i: log.by_id[i] for i in ids if i in log.by_id} if ids else {}
                retried = match_retry(batch, stored)
                if retried is None:
                    stream_events = log.by_stream.get(batch.stream)
                    last = stream_events[-1] if stream_events else None
                    batch.condition.assert_met_by(last_event=last, stream=batch.stream)
                planned.append(retried)
            recorded_at = datetime.now(UTC)
            results: list[list[StoredEvent]] = []
            for batch, retried in zip(batches, planned):
                if retried is not None:
                    results.append(retried)
                    continue
                stream_events = log.by_stream.setdefault(batch.stream, [])
                new = build_stored_events(
                    batch,
                    first_position=len(stream_events),
                    first_sequence_number=len(log.events) + 1,
                    recorded_at=recorded_at,
                )
                # The caller keeps the events built from its NewEvents; the log keeps
                # their payloads as text, which nobody can change.
                kept = [shared_stored_event(event) for event in new]
                stream_events.extend(kept)
                log.by_category.setdefault(batch.stream.category, []).extend(kept)
                log.events.extend(kept)
                log.changed.notify_all()
                log.by_id.update((event.id, event) for event in kept)
                results.append(new)
            return results

    def scan(self, request: ScanRequest) -> Iterator[StoredEvent]:
        after = request.after or 0
        remaining = request.limit
        page_size = self.options.page_size
        while remaining is None or remaining > 0:
            with self._log.lock:
                events = self._log.scope(request.target)
                if isinstance(request.target, LogIdentifier):
                    start = after
                else:
                    start = bisect_right(events, after, key=_sequence_number)
                page = events[start : start + page_size]
            if not page:
                return
            after = page[-1].sequence_number
            for event in page:
                if request.names is None or event.name in request.names:
                    yield event
                    if remaining is not None:
                        remaining -= 1
                        if remaining == 0:
                            return

    def projections(self) -> MemoryProjectionStorage:
        return self._log.projections

    def wait_for_change(self, timeout: float) -> None:
        """Wait on the log's condition variable: a publish wakes every subscriber."""
        with self._log.changed:
            self._log.changed.wait(timeout)

    def latest(self, target: Identifier) -> StoredEvent | None:
        with self._log.lock:
            events = self._log.scope(target)
            return events[-1] if events else None

    def __repr__(self) -> str:
        return f"MemoryAdapter(name={self.name!r})"


def _sequence_number(event: StoredEvent) -> int:
    return event.sequence_number
