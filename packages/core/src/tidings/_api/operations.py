# Generated from async_operations.py by tools/unasync.py: do not edit.
"""What runs, for operators: every consumer and group with its lag, and checkpoint resets.

The async module is the one source of both faces; the sync module is generated from it
by ``tools/unasync.py``. Everything here reads the rows consumers and groups keep in the
projection storage (``$checkpoints``, ``$groups``, ``$members``, ``$leases``) and the
dead-letter streams (``$parked``); nothing here needs a running consumer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from tidings._api.consuming import (
    CHECKPOINTS,
    PARKED,
    checkpoint_of,
    checkpoint_record,
    consumer_name,
)
from tidings._api.leases import GROUPS, LEASES, MEMBERS, next_version, partition_id, state_of
from tidings._api.projection_plan import query_of
from tidings._api.statuses import LAG_LIMIT, ConsumerStatus, PartitionStatus
from tidings._api.subscription_arguments import Start, subscription_arguments
from tidings._model.checkpoint import Checkpoint
from tidings._model.clock import current_clock
from tidings._model.identifiers import Identifier, LogIdentifier, StreamIdentifier
from tidings._model.projection import Projection
from tidings._protocol.adapter import StorageAdapter
from tidings._protocol.projection_rows import ExpectedRow
from tidings._protocol.requests import ScanRequest
from tidings._query.model import field
from tidings.errors import ValidationError

__all__ = ["consumer_statuses", "reset_checkpoint"]


class _Store(Protocol):
    @property
    def adapter(self) -> StorageAdapter: ...


def consumer_statuses(store: _Store) -> list[ConsumerStatus]:
    """Every consumer and group of the store, sorted by name."""
    storage = store.adapter.projections()
    groups = {row.id: row for row in storage.search(query_of(GROUPS, ()))}
    checkpoints = storage.search(query_of(CHECKPOINTS, ()))
    found: list[ConsumerStatus] = []
    for row in checkpoints:
        group, _, partition = row.id.rpartition("/")
        if group in groups and partition.isdigit():
            continue
        checkpoint = checkpoint_of(row)
        lag, seconds = _lag(store, row.source, checkpoint)
        parked = _parked(store, row.id)
        found.append(
            ConsumerStatus(row.id, "consumer", row.source, checkpoint, lag, seconds, parked)
        )
    for name, row in groups.items():
        found.append(_group_status(store, name, row))
    return sorted(found, key=lambda status: status.name)


def _group_status(store: _Store, name: str, row: Projection) -> ConsumerStatus:
    storage = store.adapter.projections()
    where = [field("state.group") == name]
    now = current_clock().now()
    members = tuple(
        sorted(
            str(state_of(member)["member"])
            for member in storage.search(query_of(MEMBERS, where))
            if not state_of(member).get("left")
            and now - member.updated_at <= timedelta(seconds=2 * float(state_of(member)["ttl"]))
        )
    )
    owners = {
        int(state_of(lease)["partition"]): state_of(lease).get("owner")
        for lease in storage.search(query_of(LEASES, where))
    }
    partitions = []
    for partition in range(int(state_of(row)["partitions"])):
        stored = storage.load(CHECKPOINTS, partition_id(name, partition))
        checkpoint = checkpoint_of(stored)
        lag, _ = _lag(store, row.source, checkpoint)
        owner = owners.get(partition)
        partitions.append(
            PartitionStatus(partition, None if owner is None else str(owner), checkpoint, lag)
        )
    points = [p.checkpoint for p in partitions]
    oldest = None if None in points else min(p for p in points if p is not None)
    lag, seconds = _lag(store, row.source, oldest)
    parked = _parked(store, name)
    return ConsumerStatus(
        name, "group", row.source, oldest, lag, seconds, parked, members, tuple(partitions)
    )


def _lag(
    store: _Store, source: Identifier | None, checkpoint: Checkpoint | None
) -> tuple[int, float]:
    """Events of the source (the log when unknown) after the checkpoint's sequence
    number, at most :data:`LAG_LIMIT`, and the age in seconds of the first of them."""
    after = None if checkpoint is None else checkpoint.sequence_number
    request = ScanRequest(source if source is not None else LogIdentifier(), after, LAG_LIMIT)
    count, first = 0, None
    for event in store.adapter.scan(request):
        first = first or event.recorded_at
        count += 1
    seconds = 0.0 if first is None else max(0.0, (current_clock().now() - first).total_seconds())
    return count, seconds


def _parked(store: _Store, consumer: str) -> int:
    request = ScanRequest(StreamIdentifier(PARKED, consumer), None, None)
    names: list[str] = []
    replayed: set[str] = set()
    for record in store.adapter.scan(request):
        if record.name == "parked":
            names.append(record.id)
        else:
            replayed.add(str(record.payload.get("parked")))
    return len([name for name in names if name not in replayed])


def reset_checkpoint(store: _Store, name: str, to: Start) -> Checkpoint:
    """Move the checkpoint of consumer (or every partition of group) ``name`` to the
    beginning, the end, or a checkpoint; return it. Stop the consumer first: a running
    one would save its own checkpoint over it. A group with live members refuses."""
    consumer_name(name)
    storage = store.adapter.projections()
    group = storage.load(GROUPS, name)
    record = None if group is not None else storage.load(CHECKPOINTS, name)
    if group is None and record is None:
        raise ValidationError("name", f"no consumer or group is named {name!r}")
    found = group if group is not None else record
    source = None if found is None else found.source
    target = source if source is not None else LogIdentifier()
    chosen = subscription_arguments(target, to, None, 1, 1.0).start
    if chosen is None:
        checkpoint = Checkpoint(0, 0)  # before every event
    elif chosen == "end":
        checkpoint = store.adapter.head(target) or Checkpoint(0, 0)
    else:
        checkpoint = chosen
    if group is None:
        storage.save(checkpoint_record(name, checkpoint, source))
        return checkpoint
    status = _group_status(store, name, group)
    if status.members:
        raise ValidationError(
            "name",
            f"group {name!r} has live members ({', '.join(status.members)}): stop them first",
        )
    where = [field("state.group") == name]
    leases = storage.search(query_of(LEASES, where))
    rows = [
        checkpoint_record(partition_id(name, p.partition), checkpoint, source)
        for p in status.partitions
    ]
    expected = [ExpectedRow(LEASES, lease.id, lease.updated_at) for lease in leases]
    touched = [_touched(lease) for lease in leases]
    if not storage.save_all_if([*rows, *touched], expected):
        raise ValidationError("name", f"group {name!r} changed while it was reset: try again")
    return checkpoint


def _touched(lease: Projection) -> Projection:
    """The lease row at a new version, so a member that held it cannot save over the
    reset."""
    version: datetime = next_version(lease.updated_at)
    return Projection(
        name=lease.name,
        id=lease.id,
        state={**state_of(lease), "owner": None, "epoch": None},
        created_at=version,
        updated_at=version,
    )
