"""Consumer groups: members that share a source, one partition of streams at a time.

The async module is the one source of both faces; the sync module is generated from it
by ``tools/unasync.py``. The source's streams are hashed into a fixed number of
partitions; each partition is owned by at most one member through a lease row in the
store (see :mod:`tidings._api.leases`), and has its own checkpoint. A member reads the
source from the oldest checkpoint it owns, handles the events of the partitions it
owns, and saves their checkpoints (and, for a projector, the projections of their
streams) in one compare-and-set that fails if any of its leases changed hands: a member
that lost a lease while it was paused cannot write (contract rule 31). Between pages it
renews its leases, and members rebalance the partitions among the live ones.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from tidings._api.async_consumer import handle_with_retry
from tidings._api.consuming import CHECKPOINTS, RetryPolicy, checkpoint_of, checkpoint_record
from tidings._api.leases import (
    GROUPS,
    LEASES,
    MEMBERS,
    Lease,
    Observer,
    assignment,
    check_group_arguments,
    group_record,
    lease_record,
    member_record,
    next_version,
    partition_id,
    partition_of,
    projection_id,
    state_of,
)
from tidings._api.projection_plan import query_of
from tidings._api.subscription_arguments import subscription_arguments
from tidings._model.checkpoint import Checkpoint
from tidings._model.conditions import WriteCondition
from tidings._model.events import NewEvent, StoredEvent
from tidings._model.identifiers import Identifier, StreamIdentifier
from tidings._model.names import validate_name
from tidings._model.projection import Projection, Projector
from tidings._protocol.async_adapter import AsyncProjectionStorage, AsyncStorageAdapter
from tidings._protocol.projection_rows import ExpectedRow
from tidings._protocol.requests import FollowRequest
from tidings._query.model import field
from tidings.errors import StorageError, StoreClosedError, TidingsError, ValidationError

__all__ = ["AsyncGroupMember"]

logger = logging.getLogger("tidings.groups")

Handler = Callable[[StoredEvent], Any]

SAFETY = 0.8
"""A member stops handling a partition after this share of the ttl since it last renewed
the lease, so it stops before any other member can judge the lease dead."""
RENEWALS = 4
"""Renewals per ttl: a member renews its leases every ttl / RENEWALS seconds."""


class _Stream(Protocol):
    async def publish(
        self, *, events: Sequence[NewEvent], condition: WriteCondition | None = None
    ) -> list[StoredEvent]: ...

    async def read(self) -> list[StoredEvent]: ...


class _Store(Protocol):
    @property
    def adapter(self) -> AsyncStorageAdapter: ...

    def stream(self, *, category: str, stream: str) -> _Stream: ...


class _Source(Protocol):
    @property
    def identifier(self) -> Identifier: ...


class AsyncGroupMember:
    """One member of the consumer group ``group``: run it in as many processes (or
    machines) as you like, with the same arguments.

    Give a ``handler`` (called once per event at least, like a consumer, and retried
    or parked as ``retry`` says, in the dead-letter stream named after the group) or a
    ``projector`` (exactly once: the projection of each stream, stored under
    ``(projector.name, stream)``, is saved with the checkpoints in one atomic step). At
    any moment a stream's events are handled by at most one member, in position order.
    ``partitions`` is fixed by the first member of the group; ``ttl`` is how long a
    silent member keeps its partitions before the others take them over.
    """

    def __init__(
        self,
        store: _Store,
        *,
        group: str,
        source: _Source,
        handler: Handler | None = None,
        projector: Projector | None = None,
        partitions: int = 16,
        ttl: float = 10.0,
        member: str | None = None,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        if (handler is None) == (projector is None):
            raise ValidationError("handler", "give exactly one of handler and projector")
        if handler is not None and not callable(handler):
            raise ValidationError("handler", f"must be callable, got {handler!r}")
        if projector is not None and not isinstance(projector, Projector):
            raise ValidationError("projector", f"must be a Projector, got {projector!r}")
        self.group, self.partitions, self.ttl = check_group_arguments(
            group, source.identifier, partitions, ttl
        )
        subscription_arguments(source.identifier, "beginning", None, batch_size, poll_interval)
        self.member = validate_name(member, "member") if member is not None else _member_name()
        self._store = store
        self._source = source
        self._handler = handler
        self.projector = projector
        self._batch_size = batch_size
        self.retry = retry if retry is not None else RetryPolicy()
        self._poll_interval = min(poll_interval, self.ttl / RENEWALS)
        self._observer = Observer(self.ttl)
        self._owned: dict[int, Lease] = {}
        self._member_version: datetime | None = None
        self._renew_at = 0.0
        self._cache: dict[str, tuple[int, Projection]] = {}
        self._dirty: set[str] = set()
        self._stopping = False

    @property
    def owned(self) -> frozenset[int]:
        """The partitions this member holds now."""
        return frozenset(self._owned)

    def partition_of(self, event: StoredEvent) -> int:
        """The partition of the event's stream."""
        return partition_of(event, self.partitions)

    def epoch_of(self, partition: int) -> datetime | None:
        """When this member took the partition it holds (a fencing token that grows with
        every change of owner), or None."""
        lease = self._owned.get(partition)
        return None if lease is None else lease.epoch

    async def run(self) -> int:
        """Join the group and handle the events of the partitions this member gets,
        until :meth:`stop`; then hand the partitions back. Returns how many events it
        handled."""
        storage = self._store.adapter.projections()
        await self._join(storage)
        handled = 0
        try:
            caught_up = False
            while not self._stopping:
                if not caught_up or time.monotonic() >= self._renew_at:
                    await self._tick(storage)
                caught_up = True
                if self._owned and not self._stopping:
                    count, caught_up = await self._pass(storage)
                    handled += count
                if caught_up and not self._stopping:
                    await self._store.adapter.wait_for_change(self._poll_interval)
        finally:
            self._stopping = False
            await self._leave(storage)
        return handled

    async def stop(self) -> None:
        """Ask a running :meth:`run` to end after the event in hand; it saves its
        checkpoints and frees its partitions first. Safe from another thread or task."""
        self._stopping = True

    async def _pass(self, storage: AsyncProjectionStorage) -> tuple[int, bool]:
        """Read pages from the oldest owned checkpoint until caught up, the owned set
        grows, a lease runs out or a save is fenced; returns (events handled, caught
        up). It reads pages itself, so that it never waits inside a read and can renew
        its leases between any two pages."""
        for owned in self._owned.values():
            owned.reading = True
        checkpoints = [owned.checkpoint for owned in self._owned.values()]
        start = None if None in checkpoints else min(c for c in checkpoints if c is not None)
        adapter, target = self._store.adapter, self._source.identifier
        position, handled = start, 0
        while not self._stopping:
            page = await adapter.follow(FollowRequest(target, position, self._batch_size))
            await self._prefetch(storage, page.entries)
            done, interrupted = position, False
            for event, reached in page.entries:
                lease = self._owned.get(partition_of(event, self.partitions))
                if lease is not None and (lease.checkpoint is None or reached > lease.checkpoint):
                    if self._stopping or time.monotonic() >= lease.deadline:
                        interrupted = True  # renew (or learn the lease is gone) first
                        break
                    try:
                        await self._apply(storage, event, lease.partition)
                    except BaseException:
                        await self._commit(storage, done)  # what was handled stays handled
                        raise
                    handled += 1
                done = reached
            if not interrupted and page.resume is not None:
                done = page.resume
            if not await self._commit(storage, done) or interrupted:
                return handled, False  # fenced, or stopped inside the page
            if not page.entries:
                return handled, True  # caught up (or events wait behind a writer)
            position = done
            if time.monotonic() >= self._renew_at and await self._tick(storage):
                return handled, False  # a partition came with an older checkpoint
        return handled, True

    async def _prefetch(
        self, storage: AsyncProjectionStorage, entries: Sequence[tuple[StoredEvent, Checkpoint]]
    ) -> None:
        """Load, in one search, the stored projections of the page's streams that this
        member owns and has not cached (a projector's group only)."""
        projector = self.projector
        if projector is None:
            return
        wanted: dict[str, tuple[int, StoredEvent]] = {}
        for event, _ in entries:
            partition = partition_of(event, self.partitions)
            key = projection_id(self._source.identifier, event)
            if partition in self._owned and key not in self._cache:
                wanted.setdefault(key, (partition, event))
        if not wanted:
            return
        query = query_of(projector.name, [field("id").is_in(sorted(wanted))])
        found = {row.id: row for row in await storage.search(query)}
        for key, (partition, event) in wanted.items():
            self._cache[key] = (partition, found.get(key) or self._fresh(key, event))

    def _fresh(self, key: str, event: StoredEvent) -> Projection:
        projector = self.projector
        assert projector is not None  # only a projector's group keeps projections
        return Projection(
            name=projector.name,
            id=key,
            state=projector.initial_state(),
            source=StreamIdentifier(event.category, event.stream),
            projector_version=projector.version,
        )

    async def _apply(self, storage: AsyncProjectionStorage, event: StoredEvent, p: int) -> None:
        if self._handler is not None:
            await handle_with_retry(self._store, self.group, self._handler, self.retry, event)
            return
        projector = self.projector
        assert projector is not None  # one of the two is set
        key = projection_id(self._source.identifier, event)
        cached = self._cache.get(key)
        current = cached[1] if cached is not None else await storage.load(projector.name, key)
        if current is None:
            current = self._fresh(key, event)
        elif current.projector_version != projector.version:
            raise ValidationError(
                "projector",
                f"the stored projection {key!r} was made by version "
                f"{current.projector_version} of {projector.name!r}, not {projector.version}: "
                "reset the group's checkpoints to rebuild it",
            )
        self._cache[key] = (p, projector.apply(current, [event]))
        self._dirty.add(key)

    async def _commit(self, storage: AsyncProjectionStorage, done: Checkpoint | None) -> bool:
        """Save the owned partitions' checkpoints (at ``done``) and the changed
        projections, if this member still holds every lease it owns; False if not."""
        rows = [self._cache[key][1] for key in sorted(self._dirty)]
        advanced: list[Lease] = []
        for lease in self._owned.values():
            if not lease.reading:
                continue  # taken during this read, which skipped its earlier events
            if done is not None and (lease.checkpoint is None or done > lease.checkpoint):
                name = partition_id(self.group, lease.partition)
                rows.append(checkpoint_record(name, done, self._source.identifier))
                advanced.append(lease)
        if not rows:
            return True
        expected = [
            ExpectedRow(LEASES, partition_id(self.group, lease.partition), lease.version)
            for lease in self._owned.values()
        ]
        if await self._cas(storage, rows, expected):
            for lease in advanced:
                lease.checkpoint = done
            self._dirty.clear()
            return True
        self._log(logging.WARNING, "save fenced: a lease changed hands, or the save failed")
        self._cache.clear()
        self._dirty.clear()
        self._renew_at = 0.0
        for lease in self._owned.values():  # the save may have happened after all
            stored = await storage.load(CHECKPOINTS, partition_id(self.group, lease.partition))
            lease.checkpoint = checkpoint_of(stored)
        return False

    async def _cas(
        self, storage: AsyncProjectionStorage, rows: list[Projection], expected: list[ExpectedRow]
    ) -> bool:
        """``save_all_if``, where a store error counts as a failed compare-and-set: the
        caller then reads the rows again before it trusts what it holds. (PostgreSQL
        ends the session of a member paused inside the transaction, so that it cannot
        hold the others back; that member sees the error when it wakes.)"""
        try:
            return await storage.save_all_if(rows, expected)
        except (StorageError, StoreClosedError) as error:
            if self._store_closed():
                raise
            self._log(logging.WARNING, "save failed", error=str(error))
            return False

    def _store_closed(self) -> bool:
        return bool(getattr(self._store, "closed", False))

    async def _join(self, storage: AsyncProjectionStorage) -> None:
        """Fix (or check) the group's partition count and source, and add this member."""
        source = self._source.identifier
        wanted = group_record(self.group, self.partitions, source)
        stored = await storage.load(GROUPS, self.group)
        created = stored is None and await storage.save_all_if(
            [wanted], [ExpectedRow(GROUPS, self.group, None)]
        )
        if stored is None and not created:  # another member created it first
            stored = await storage.load(GROUPS, self.group)
        if stored is not None:
            partitions = state_of(stored).get("partitions")
            if partitions != self.partitions:
                raise ValidationError(
                    "partitions",
                    f"group {self.group!r} has {partitions} partitions, not {self.partitions}",
                )
            if stored.source != source:
                raise ValidationError(
                    "source", f"group {self.group!r} follows {stored.source!r}, not {source!r}"
                )
        key = f"{self.group}/{self.member}"
        previous = await storage.load(MEMBERS, key)
        if previous is not None and not state_of(previous).get("left"):
            previous = await self._outlive(storage, previous)
        version = next_version(None if previous is None else previous.updated_at)
        row = member_record(self.group, self.member, version, ttl=self.ttl)
        expected = ExpectedRow(MEMBERS, key, None if previous is None else previous.updated_at)
        if not await storage.save_all_if([row], [expected]):
            raise ValidationError(
                "member", f"{self.member!r} is already a member of {self.group!r}"
            )
        self._member_version = version
        self._log(logging.INFO, "joined", partitions=self.partitions, ttl=self.ttl)

    async def _outlive(self, storage: AsyncProjectionStorage, row: Projection) -> Projection | None:
        """A member restarted under the same name finds its old row: it takes the name
        over once the row has stood still for the ttl (the old process is dead), and
        refuses if the row moves (another process runs under this name)."""
        key = row.id
        self._observer.expired(key, row.updated_at)
        while True:
            await _sleep(self.ttl / RENEWALS)
            current = await storage.load(MEMBERS, key)
            if current is None or state_of(current).get("left"):
                return current
            if current.updated_at != row.updated_at:
                raise ValidationError(
                    "member", f"{self.member!r} is already a member of {self.group!r}, alive"
                )
            if self._observer.expired(key, current.updated_at):
                return current

    async def _tick(self, storage: AsyncProjectionStorage) -> bool:
        """Renew this member and its leases, drop the leases others took, free the
        partitions that belong to another live member, and take the free ones that
        belong to this one. Returns whether it took any."""
        self._renew_at = time.monotonic() + self.ttl / RENEWALS
        where = [field("state.group") == self.group]
        members = {row.id: row for row in await storage.search(query_of(MEMBERS, where))}
        leases = {row.id: row for row in await storage.search(query_of(LEASES, where))}
        mine = members.get(f"{self.group}/{self.member}")
        if mine is not None:  # only this member writes its row: adopt what is stored
            self._member_version = mine.updated_at
        for lease in list(self._owned.values()):
            row = leases.get(partition_id(self.group, lease.partition))
            held = state_of(row)
            if row is not None and (held.get("owner"), held.get("epoch")) == (
                self.member,
                lease.epoch.isoformat(),
            ):
                lease.version = row.updated_at
            else:
                self._drop(lease.partition, "lease lost")
        await self._renew(storage)
        me = f"{self.group}/{self.member}"
        live = [
            str(state_of(row)["member"])
            for key, row in members.items()
            if key == me
            or (not state_of(row).get("left") and not self._observer.expired(key, row.updated_at))
        ]
        plan = assignment(live, self.partitions)
        for partition in [p for p in self._owned if plan.get(p) != self.member]:
            await self._release(storage, partition)
        took = False
        for partition, owner in plan.items():
            if owner != self.member or partition in self._owned:
                continue
            key = partition_id(self.group, partition)
            row = leases.get(key)
            holder = state_of(row).get("owner")
            free = (
                row is None
                or holder in (None, self.member)
                or holder not in live
                or self._observer.expired(key, row.updated_at)
            )
            if free:
                took = await self._take(storage, partition, row) or took
        return took

    async def _renew(self, storage: AsyncProjectionStorage) -> None:
        """New versions of the member row and every owned lease, in one compare-and-set
        (one at a time if that fails, so one lost lease does not cost the others)."""
        sent = time.monotonic()
        version = next_version(self._member_version)
        member = member_record(self.group, self.member, version, ttl=self.ttl)
        leases = {p: self._lease_row(lease, version) for p, lease in self._owned.items()}
        expected = [ExpectedRow(MEMBERS, member.id, self._member_version)] + [
            ExpectedRow(LEASES, row.id, self._owned[p].version) for p, row in leases.items()
        ]
        if await self._cas(storage, [member, *leases.values()], expected):
            self._member_version = version
            for p in leases:
                self._owned[p].version, self._owned[p].deadline = version, sent + SAFETY * self.ttl
            return
        if await self._cas(storage, [member], expected[:1]):
            self._member_version = version
        for p, row in leases.items():
            lease = self._owned[p]
            if await self._cas(storage, [row], [ExpectedRow(LEASES, row.id, lease.version)]):
                lease.version, lease.deadline = version, sent + SAFETY * self.ttl
            else:
                self._drop(p, "lease lost")

    async def _take(self, storage: AsyncProjectionStorage, p: int, row: Projection | None) -> bool:
        sent = time.monotonic()
        version = next_version(None if row is None else row.updated_at)
        taken = lease_record(self.group, p, self.member, version, epoch=version, ttl=self.ttl)
        expected = ExpectedRow(LEASES, taken.id, None if row is None else row.updated_at)
        if not await self._cas(storage, [taken], [expected]):
            return False
        stored = await storage.load(CHECKPOINTS, partition_id(self.group, p))
        checkpoint = checkpoint_of(stored)
        self._owned[p] = Lease(p, version, version, sent + SAFETY * self.ttl, checkpoint)
        previous = state_of(row).get("owner")
        self._log(logging.INFO, "partition taken", partition=p, previous=previous)
        return True

    async def _release(self, storage: AsyncProjectionStorage, p: int) -> None:
        lease = self._owned[p]
        version = next_version(lease.version)
        freed = lease_record(self.group, p, None, version, epoch=None, ttl=self.ttl)
        await self._cas(storage, [freed], [ExpectedRow(LEASES, freed.id, lease.version)])
        self._drop(p, "partition released")

    def _drop(self, partition: int, why: str) -> None:
        self._owned.pop(partition, None)
        for key in [k for k, (p, _) in self._cache.items() if p == partition]:
            del self._cache[key]
            self._dirty.discard(key)
        self._log(
            logging.INFO if why == "partition released" else logging.WARNING,
            why,
            partition=partition,
        )

    def _lease_row(self, lease: Lease, version: datetime) -> Projection:
        return lease_record(
            self.group, lease.partition, self.member, version, epoch=lease.epoch, ttl=self.ttl
        )

    async def _leave(self, storage: AsyncProjectionStorage) -> None:
        """Free every partition and mark this member gone, so that the others take over
        at once instead of after the ttl. Best effort: a dead store just ends the run."""
        try:
            for partition in list(self._owned):
                await self._release(storage, partition)
            version = next_version(self._member_version)
            row = member_record(self.group, self.member, version, ttl=self.ttl, left=True)
            await storage.save_all_if([row], [ExpectedRow(MEMBERS, row.id, self._member_version)])
        except TidingsError as error:
            self._log(logging.WARNING, "could not leave cleanly", error=str(error))
        self._owned.clear()
        self._log(logging.INFO, "left")

    def _log(self, level: int, message: str, **fields: Any) -> None:
        context = {"group": self.group, "member": self.member, **fields}
        logger.log(level, message, extra={"tidings": context})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(group={self.group!r}, member={self.member!r})"


def _member_name() -> str:
    """A member name unique across machines and restarts: host, process and a nonce."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


async def _sleep(seconds: float) -> None:
    import asyncio  # async-only

    await asyncio.sleep(seconds)  # async-only
    # sync: time.sleep(seconds)
