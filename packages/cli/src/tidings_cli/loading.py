"""Writing events from elsewhere into a store, for ``import`` and ``copy``: batched,
idempotent through event ids, and checked per stream.

Events are published in batches in the order they come (the source's log order): a
batch becomes one publish per category, each holding that category's streams. So the
order of every stream is kept exactly, and the log order between batches; within one
batch, the events of a category are grouped stream by stream. Every stream's batch
carries a ``position_is`` condition, so a writer that adds to the same stream meanwhile
stops the load instead of interleaving with it.

A re-run is an idempotent retry: events are published with their original ids, and an
event whose id the destination stream already holds is skipped. ``tidings copy`` is
stricter (``exact``): a destination stream must hold a prefix of the source stream, the
same events at the same positions, or the copy stops before writing to it.

Sequence numbers and ``recorded_at`` are the destination's: a store assigns them when
it commits, and they cannot be carried over.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from tidings import (
    Batch,
    DuplicateEventIdError,
    EventStore,
    NewEvent,
    StorageError,
    StoredEvent,
    UnmetWriteConditionError,
    position_is,
    stream_is_empty,
)
from tidings_cli.common import CommandError

__all__ = ["DIFFERENT", "Digests", "LoadError", "Loader", "StreamKey", "recheck"]

_log = logging.getLogger("tidings.cli")

StreamKey = tuple[str, str]
"""(category, stream)."""

_ATTEMPTS = 3
"""Publishes sent at most, per batch: a publish whose outcome is unknown (a dropped
connection) is settled by sending it again with the same ids (contract rule 10)."""


class LoadError(CommandError):
    """The destination holds something that the load must not write over or beside."""


@dataclass(slots=True)
class _Stream:
    """What the load knows of one destination stream."""

    length: int
    """Events the destination holds in it, including those this load published."""
    held: frozenset[str] = frozenset()
    """Ids it held before this load wrote to it."""


@dataclass(slots=True)
class _Pending:
    key: StreamKey
    event: NewEvent
    position: int | None


@dataclass(slots=True)
class Loader:
    """Publishes events into ``store``, ``batch_size`` at a time; see the module."""

    store: EventStore
    batch_size: int
    exact: bool = False
    published: int = 0
    skipped: int = 0
    moved: int = 0
    """Events that landed at another position than the one they had in the source."""
    _streams: dict[StreamKey, _Stream] = field(default_factory=dict)
    _pending: list[_Pending] = field(default_factory=list)
    _empty_store: bool | None = None

    def add(self, key: StreamKey, event: NewEvent, position: int | None = None) -> None:
        """Queue ``event`` for stream ``key`` (``position``: where the source held it),
        or skip it when the destination stream holds its id already."""
        state = self._stream(key)
        if self.exact:
            if position is not None and position < len(state.held):
                if event.id not in state.held:
                    raise self._not_a_prefix(key, state)
                self.skipped += 1
                return
        elif event.id is not None and event.id in state.held:
            self.skipped += 1
            return
        self._pending.append(_Pending(key, event, position))
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Publish every queued event: one publish per category."""
        by_category: dict[str, dict[str, list[_Pending]]] = {}
        for pending in self._pending:
            category, stream = pending.key
            by_category.setdefault(category, {}).setdefault(stream, []).append(pending)
        self._pending = []
        for category, streams in by_category.items():
            self._publish(category, streams)

    def _publish(self, category: str, streams: dict[str, list[_Pending]]) -> None:
        batches = {}
        for stream, items in streams.items():
            length = self._streams[(category, stream)].length
            condition = stream_is_empty() if length == 0 else position_is(length - 1)
            batches[stream] = Batch([item.event for item in items], condition)
        scope = self.store.category(category=category)
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                stored = scope.publish(streams=batches)
                break
            except StorageError as error:
                if attempt == _ATTEMPTS:
                    raise
                _log.warning("publish to %s failed (%s); sending it again", category, error)
                time.sleep(0.2 * 2**attempt)
            except UnmetWriteConditionError as error:
                where = f"{error.stream.category}/{error.stream.stream}"
                raise LoadError(
                    f"the destination's stream {where} changed while "
                    "loading (another writer?), so nothing more was written to it; run the "
                    "same command again: events already loaded are skipped by id"
                ) from error
            except DuplicateEventIdError as error:
                where = f"{error.stream.category}/{error.stream.stream}"
                raise LoadError(
                    f"event id {error.event_id!r}, for stream {where}, is already stored in "
                    "the destination in another stream (or out of order); ids are unique in "
                    "a store, so it cannot be loaded there. Nothing of its batch was written"
                ) from error
        for stream, events in stored.items():
            state = self._streams[(category, stream)]
            for item, event in zip(streams[stream], events):
                if item.position is not None and item.position != event.position:
                    self.moved += 1
            state.length += len(events)
            self.published += len(events)

    def _stream(self, key: StreamKey) -> _Stream:
        state = self._streams.get(key)
        if state is not None:
            return state
        if self._empty_store is None:
            self._empty_store = self.store.log().latest() is None
        if self._empty_store:
            state = _Stream(0)
        else:
            scope = self.store.stream(category=key[0], stream=key[1])
            held = frozenset(event.id for event in scope.iterate())
            state = _Stream(len(held), held)
        self._streams[key] = state
        return state

    def _not_a_prefix(self, key: StreamKey, state: _Stream) -> LoadError:
        return LoadError(
            f"the destination's stream {key[0]}/{key[1]} holds {len(state.held)} events that "
            "are not the first events of the source's stream at the same positions; copy "
            "does not mix stores, so nothing was written to that stream. Copy into an empty "
            "store, or into one that a copy of this source filled"
        )


def new_event(event: StoredEvent) -> NewEvent:
    """A stored event as an event to publish elsewhere, with its id and times."""
    return NewEvent(
        id=event.id,
        name=event.name,
        payload=event.payload,
        metadata=event.metadata,
        occurred_at=event.occurred_at,
        observed_at=event.observed_at,
    )


@dataclass(slots=True)
class _Digest:
    events: int = 0
    sha: hashlib._Hash = field(default_factory=hashlib.sha256)


_SIGNED = {"byteorder": "little", "signed": True}


@dataclass(slots=True)
class Digests:
    """A count and a SHA-256 per stream over what a copy must keep: each event's id,
    name, position, payload, metadata, occurred_at and observed_at, in the order read;
    and ``log``, the same over every event in log order, which a bulk load keeps.

    By default each event enters as its 64-bit Python hash (of its fields, payload and
    metadata as their stored JSON text), which costs a fraction of encoding it: both
    stores are hashed in this one process, so equal events hash alike, and a changed
    one almost surely not. ``canonical`` digests hash each event as JSON with sorted
    keys instead, for the streams whose texts differ: an adapter may store equal
    payloads as other text (jsonb reorders keys), which is not a difference.
    Sequence numbers are left out: the destination assigns its own."""

    canonical: bool = False
    streams: dict[StreamKey, _Digest] = field(default_factory=dict)
    log: _Digest = field(default_factory=_Digest)

    def add(self, event: StoredEvent) -> None:
        key = (event.category, event.stream)
        digest = self.streams.get(key)
        if digest is None:
            digest = self.streams[key] = _Digest()
        digest.events += 1
        if self.canonical:
            fields = [
                event.id,
                event.name,
                event.position,
                event.payload,
                event.metadata,
                event.occurred_at.isoformat(),
                event.observed_at.isoformat(),
            ]
            text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            entry = text.encode() + b"\n"
        else:
            entry = hash(
                (
                    event.id,
                    event.name,
                    event.position,
                    event.payload_json,
                    event.metadata_json,
                    event.occurred_at,
                    event.observed_at,
                )
            ).to_bytes(8, **_SIGNED)  # type: ignore[arg-type]
        digest.sha.update(entry)
        self.log.events += 1
        self.log.sha.update(entry)

    def add_all(self, events: Iterable[StoredEvent]) -> None:
        for event in events:
            self.add(event)

    def summary(self, key: StreamKey) -> tuple[int, str] | None:
        """The stream's event count and checksum, or None when it has no events."""
        digest = self.streams.get(key)
        return None if digest is None else (digest.events, digest.sha.hexdigest())

    def log_matches(self, other: Digests) -> bool:
        """Whether ``other`` holds the same events in the same log order."""
        return (self.log.events, self.log.sha.hexdigest()) == (
            other.log.events,
            other.log.sha.hexdigest(),
        )

    def differences(self, other: Digests) -> dict[StreamKey, str]:
        """How ``other`` (the destination) differs from these, stream by stream; the
        streams that only ``other`` has are not differences."""
        found = {}
        for key in sorted(self.streams):
            mine, theirs = self.summary(key), other.summary(key)
            name = f"{key[0]}/{key[1]}"
            if theirs is None:
                found[key] = f"{name}: missing from the destination"
            elif mine is not None and mine[0] != theirs[0]:
                found[key] = f"{name}: {mine[0]} events in the source, {theirs[0]} copied"
            elif mine != theirs:
                found[key] = f"{name}: {DIFFERENT}"
        return found


DIFFERENT = "the events differ (checksums do not match)"
"""The difference that a canonical digest of the stream may clear."""


def recheck(
    problems: dict[StreamKey, str], source: EventStore, destination: EventStore
) -> dict[StreamKey, str]:
    """``problems`` without the streams whose events are equal once compared as
    canonical JSON (see :class:`Digests`): each is read again from both stores."""
    left = {}
    for key, problem in problems.items():
        if not problem.endswith(DIFFERENT):
            left[key] = problem
            continue
        mine, theirs = Digests(canonical=True), Digests(canonical=True)
        mine.add_all(source.stream(category=key[0], stream=key[1]).iterate())
        theirs.add_all(destination.stream(category=key[0], stream=key[1]).iterate())
        if mine.summary(key) != theirs.summary(key):
            left[key] = problem
    return left
