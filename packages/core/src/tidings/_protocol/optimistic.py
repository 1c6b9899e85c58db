"""Publishing for backends that offer only compare-and-set: the core decides, the backend
commits if nothing changed, the core retries.

A backend that cannot run Python inside its atomic step (Redis with Lua scripts, a
key-value store with conditional writes, DynamoDB transactions) cannot evaluate a
caller's custom :class:`~tidings.WriteCondition` there. It can still be exactly correct:

1. read the heads of the streams being written, and the batch ids already stored
   (:meth:`OptimisticAdapter.read_heads`);
2. the core decides on that snapshot, in Python: retry matching first, then each
   batch's condition (the rules of :func:`~tidings.adapters.match_retry` and contract
   rules 8-11), then the positions and ids of the events to write;
3. the backend commits all of it in one atomic step, but only if every stream it reads
   still ends where the snapshot said and none of the new ids has been stored since
   (:meth:`OptimisticAdapter.commit`); it numbers the events there;
4. when the commit finds anything changed, the core reads again and decides again.

The adapter implements those two primitives; :class:`OptimisticAdapter` (and
:class:`AsyncOptimisticAdapter`) implement ``publish`` with them. The logic is one
I/O-free plan, :func:`optimistic_publish`, that both faces run.
"""

from __future__ import annotations

import random
from abc import abstractmethod
from collections.abc import Collection, Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from tidings._model.events import NewEvent, StoredEvent
from tidings._model.identifiers import StreamIdentifier
from tidings._protocol.adapter import StorageAdapter
from tidings._protocol.async_adapter import AsyncStorageAdapter
from tidings._protocol.async_plan_runner import arun
from tidings._protocol.plan_runner import run
from tidings._protocol.publishing import assign_ids, match_retry, stored_batch
from tidings._protocol.requests import StreamBatch
from tidings.errors import StoreBusyError

__all__ = [
    "Append",
    "AsyncOptimisticAdapter",
    "Backoff",
    "Commit",
    "Heads",
    "OptimisticAdapter",
    "ReadHeads",
    "optimistic_publish",
]

MAX_ATTEMPTS = 1000
"""Conflicting commits one publish tolerates before it gives up with StoreBusyError.
Every conflict means another publish committed, so the store as a whole makes progress;
the bound only keeps one unlucky writer from spinning for ever."""


@dataclass(frozen=True, slots=True)
class Heads:
    """The snapshot the core decides on.

    ``last_events`` maps each requested stream to its last stored event (None for an
    empty stream); ``stored`` maps each requested id that is already stored to its
    stored event (ids that are not stored are simply absent).
    """

    last_events: Mapping[StreamIdentifier, StoredEvent | None]
    stored: Mapping[str, StoredEvent]


@dataclass(frozen=True, slots=True)
class Append:
    """Events to append to one stream: ids assigned, positions decided."""

    stream: StreamIdentifier
    events: tuple[NewEvent, ...]
    ids: tuple[str, ...]
    first_position: int

    def stored(self, first_sequence_number: int, recorded_at: datetime) -> list[StoredEvent]:
        """The stored events, numbered from ``first_sequence_number`` up."""
        batch = StreamBatch(self.stream, self.events)
        numbers = (
            (self.first_position + offset, first_sequence_number + offset)
            for offset in range(len(self.events))
        )
        return stored_batch(batch, self.ids, numbers, recorded_at)


@dataclass(frozen=True, slots=True)
class Commit:
    """One all-or-nothing write, valid only if the snapshot still holds.

    The adapter's atomic step checks that every stream in ``expected`` still ends at
    that position (None: still empty) and that none of ``absent_ids`` is stored; if
    either check fails it writes nothing and reports a conflict. Otherwise it gives the
    events of ``appends`` sequence numbers that are greater than every number it has
    given, increasing in order, and stores them all with the one ``recorded_at``.
    """

    expected: Mapping[StreamIdentifier, int | None]
    absent_ids: frozenset[str]
    appends: tuple[Append, ...]
    recorded_at: datetime

    @property
    def size(self) -> int:
        """How many events the commit appends: the sequence numbers it needs."""
        return sum(len(append.events) for append in self.appends)

    def stored(self, first_sequence_number: int) -> list[list[StoredEvent]]:
        """The stored events of every append, numbered contiguously from
        ``first_sequence_number`` in the order of ``appends``."""
        results: list[list[StoredEvent]] = []
        for append in self.appends:
            results.append(append.stored(first_sequence_number, self.recorded_at))
            first_sequence_number += len(append.events)
        return results


@dataclass(frozen=True, slots=True)
class ReadHeads:
    """Effect: read the heads of ``streams`` and which of ``ids`` are stored."""

    streams: tuple[StreamIdentifier, ...]
    ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Effect: wait ``seconds`` before reading again, so retries spread out."""

    seconds: float


Effect = ReadHeads | Commit | Backoff


def optimistic_publish(
    batches: Sequence[StreamBatch], *, max_attempts: int = MAX_ATTEMPTS
) -> Generator[Effect, Heads | list[list[StoredEvent]] | None, list[list[StoredEvent]]]:
    """The publish algorithm as a plan: yields :class:`ReadHeads` (send back
    :class:`Heads`), :class:`Commit` (send back the stored events per append, or None
    on a conflict) and :class:`Backoff` (send back None); returns the stored events per
    batch. Raises what a publish raises: UnmetWriteConditionError, DuplicateEventIdError,
    and StoreBusyError after ``max_attempts`` conflicts."""
    streams = tuple(batch.stream for batch in batches)
    ids = frozenset(event_id for batch in batches for event_id in batch.ids)
    for attempt in range(max_attempts):
        heads = cast(Heads, (yield ReadHeads(streams, ids)))
        planned = _decide(batches, heads)
        commit = _commit(batches, heads, planned)
        if commit is None:  # nothing to write: retries and empty batches only
            return [retried if retried is not None else [] for retried in planned]
        written = cast("list[list[StoredEvent]] | None", (yield commit))
        if written is not None:
            appended = iter(written)
            return [
                retried if retried is not None else (next(appended) if batch.events else [])
                for batch, retried in zip(batches, planned)
            ]
        yield Backoff(random.uniform(0, 0.0005 * min(attempt + 1, 20)))
    raise StoreBusyError(
        f"a publish to {', '.join(f'{s.category!r}/{s.stream!r}' for s in streams)} "
        f"conflicted with other writers {max_attempts} times in a row"
    )


def _decide(batches: Sequence[StreamBatch], heads: Heads) -> list[list[StoredEvent] | None]:
    """Per batch, in order: an exact retry (its stored events), or None after its
    condition held. Raises the first batch's error, as every adapter does."""
    planned: list[list[StoredEvent] | None] = []
    for batch in batches:
        stored = {i: heads.stored[i] for i in batch.ids if i in heads.stored}
        retried = match_retry(batch, stored)
        if retried is None:
            last = heads.last_events.get(batch.stream)
            batch.condition.assert_met_by(last_event=last, stream=batch.stream)
        planned.append(retried)
    return planned


def _commit(
    batches: Sequence[StreamBatch], heads: Heads, planned: Sequence[list[StoredEvent] | None]
) -> Commit | None:
    """The write the decision needs, or None when it writes nothing. Every stream whose
    condition was evaluated is expected unchanged, even when its batch is empty, so the
    conditions and the write are one atomic step."""
    expected: dict[StreamIdentifier, int | None] = {}
    absent: set[str] = set()
    appends: list[Append] = []
    for batch, retried in zip(batches, planned):
        if retried is not None:
            continue
        last = heads.last_events.get(batch.stream)
        expected[batch.stream] = None if last is None else last.position
        if batch.events:
            absent.update(batch.ids)
            first = 0 if last is None else last.position + 1
            appends.append(
                Append(batch.stream, batch.events, tuple(assign_ids(batch.events)), first)
            )
    if not appends:
        return None
    return Commit(expected, frozenset(absent), tuple(appends), datetime.now(UTC))


class OptimisticAdapter(StorageAdapter):
    """A sync adapter whose backend offers compare-and-set: implement :meth:`read_heads`
    and :meth:`commit`; ``publish`` is written for you. (Implement ``scan``, ``latest``
    and ``from_url`` as for any adapter.)"""

    @abstractmethod
    def read_heads(self, streams: Sequence[StreamIdentifier], ids: Collection[str]) -> Heads:
        """The last event of each of ``streams`` and the stored events of those of
        ``ids`` that are stored. One atomic read if the backend has one; otherwise read
        the heads before the ids (ids are never removed, so ids missing after the heads
        were read were missing when they were read)."""

    @abstractmethod
    def commit(self, commit: Commit) -> list[list[StoredEvent]] | None:
        """In one atomic step: if each stream of ``commit.expected`` still ends at its
        position and none of ``commit.absent_ids`` is stored, store the appends (number
        them, for example with :meth:`Commit.stored`) and return the stored events per
        append; otherwise write nothing and return None."""

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        return run(optimistic_publish(batches), self._perform)

    def _perform(self, effect: Effect) -> Heads | list[list[StoredEvent]] | None:
        if isinstance(effect, ReadHeads):
            return self.read_heads(effect.streams, effect.ids)
        if isinstance(effect, Commit):
            return self.commit(effect)
        import time

        time.sleep(effect.seconds)
        return None


class AsyncOptimisticAdapter(AsyncStorageAdapter):
    """:class:`OptimisticAdapter` for a natively async backend: the same two primitives,
    awaited, and the same plan."""

    @abstractmethod
    async def read_heads(self, streams: Sequence[StreamIdentifier], ids: Collection[str]) -> Heads:
        """As :meth:`OptimisticAdapter.read_heads`."""

    @abstractmethod
    async def commit(self, commit: Commit) -> list[list[StoredEvent]] | None:
        """As :meth:`OptimisticAdapter.commit`."""

    async def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        return await arun(optimistic_publish(batches), self._perform)

    async def _perform(self, effect: Effect) -> Heads | list[list[StoredEvent]] | None:
        if isinstance(effect, ReadHeads):
            return await self.read_heads(effect.streams, effect.ids)
        if isinstance(effect, Commit):
            return await self.commit(effect)
        import asyncio  # here, so that importing tidings does not import asyncio

        await asyncio.sleep(effect.seconds)
        return None
