"""Consumer groups' bookkeeping, I/O-free: partitions, lease rows, assignment, expiry.

A group keeps three kinds of rows in the store's projection storage, beside the
checkpoints of ordinary consumers:

- ``$groups`` / ``<group>``: the group's partition count and source, fixed when the
  first member joins (every member must agree with them);
- ``$members`` / ``<group>/<member>``: one row per member, renewed as it works;
- ``$leases`` / ``<group>/<partition>``: who owns the partition. The row's
  ``updated_at`` is its version: each write of a lease row is a compare-and-set
  (``save_all_if``) against the version the writer last saw, and makes a newer one.

Each partition's checkpoint is the consumer checkpoint ``<group>/<partition>``. Expiry
is judged by the observer, not by comparing clocks: a row is dead when its version has
not changed for ``ttl`` seconds of the observer's monotonic clock, so members on
machines whose clocks disagree never steal a live member's lease.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tidings._model.checkpoint import Checkpoint
from tidings._model.clock import current_clock
from tidings._model.events import StoredEvent, to_utc
from tidings._model.identifiers import CategoryIdentifier, Identifier, LogIdentifier
from tidings._model.names import validate_name
from tidings._model.projection import Projection
from tidings.errors import ValidationError

__all__ = [
    "GROUPS",
    "LEASES",
    "MAX_PARTITIONS",
    "MEMBERS",
    "Lease",
    "Observer",
    "assignment",
    "check_group_arguments",
    "group_record",
    "lease_record",
    "member_record",
    "next_version",
    "partition_id",
    "partition_of",
    "projection_id",
    "state_of",
]

GROUPS = "$groups"
"""The projection name of group rows (their partition count and source)."""
MEMBERS = "$members"
"""The projection name of member rows."""
LEASES = "$leases"
"""The projection name of partition lease rows."""
MAX_PARTITIONS = 4096
_ONE_TICK = timedelta(microseconds=1)


def partition_of(event: StoredEvent, partitions: int) -> int:
    """The partition of the event's stream: a stable hash, the same in every process
    and on every machine (Python's ``hash`` of a str is not)."""
    key = f"{event.category}\x00{event.stream}".encode()
    digest = hashlib.blake2b(key, digest_size=8).digest()
    return int.from_bytes(digest, "big") % partitions


def partition_id(group: str, partition: int) -> str:
    """The id of a partition's lease row and of its checkpoint."""
    return f"{group}/{partition}"


def projection_id(source: Identifier, event: StoredEvent) -> str:
    """The id under which a group's projection of the event's stream is stored: the
    stream's name in a category source, ``category/stream`` in the log."""
    if isinstance(source, CategoryIdentifier):
        return event.stream
    return f"{event.category}/{event.stream}"


def assignment(members: list[str], partitions: int) -> dict[int, str]:
    """Who should own each partition: members sorted, partitions dealt round-robin, so
    every member that sees the same live members computes the same plan and shares
    differ by at most one."""
    ordered = sorted(members)
    return {p: ordered[p % len(ordered)] for p in range(partitions)} if ordered else {}


def next_version(previous: datetime | None) -> datetime:
    """The ``updated_at`` of a lease row's next write: now, but always after the last
    one, so that a version never repeats even when clocks step back."""
    now = to_utc(current_clock().now(), "clock")
    return now if previous is None or now > previous else previous + _ONE_TICK


def check_group_arguments(
    group: object, source: Identifier, partitions: object, ttl: object
) -> tuple[str, int, float]:
    """Validate a group member's own arguments, naming the field at fault."""
    name = validate_name(group, "group")
    if not isinstance(source, CategoryIdentifier | LogIdentifier):
        raise ValidationError(
            "source", f"must be a category or the log (a stream has one partition), got {source!r}"
        )
    if (
        not isinstance(partitions, int)
        or isinstance(partitions, bool)
        or not 1 <= partitions <= MAX_PARTITIONS
    ):
        raise ValidationError(
            "partitions", f"must be an int from 1 to {MAX_PARTITIONS}, got {partitions!r}"
        )
    if (
        not isinstance(ttl, int | float)
        or isinstance(ttl, bool)
        or not math.isfinite(ttl)
        or not 0.2 <= ttl <= 3600
    ):
        raise ValidationError("ttl", f"must be seconds from 0.2 to 3600, got {ttl!r}")
    return name, partitions, float(ttl)


def group_record(group: str, partitions: int, source: Identifier) -> Projection:
    """The row that fixes a group's partition count and source."""
    return Projection(name=GROUPS, id=group, state={"partitions": partitions}, source=source)


def member_record(
    group: str, member: str, version: datetime, *, ttl: float, left: bool = False
) -> Projection:
    """A member's row, at a new version."""
    return Projection(
        name=MEMBERS,
        id=f"{group}/{member}",
        state={"group": group, "member": member, "ttl": ttl, "left": left},
        created_at=version,
        updated_at=version,
    )


def lease_record(
    group: str,
    partition: int,
    owner: str | None,
    version: datetime,
    *,
    epoch: datetime | None,
    ttl: float,
) -> Projection:
    """A partition's lease row, at a new version; ``owner`` None frees it. ``epoch`` is
    the version at which the owner took it: a fencing token that only grows."""
    return Projection(
        name=LEASES,
        id=partition_id(group, partition),
        state={
            "group": group,
            "partition": partition,
            "owner": owner,
            "epoch": None if epoch is None else epoch.isoformat(),
            "ttl": ttl,
        },
        created_at=version,
        updated_at=version,
    )


@dataclass(slots=True)
class Lease:
    """A partition this member holds: the lease row's version it last wrote, the epoch
    at which it took it, the monotonic time until which no one else can have taken it,
    and the partition's checkpoint. ``reading`` is set while a read of the source that
    started with this lease in hand goes on: only such a read has seen every event of
    the partition, so only it may move the partition's checkpoint."""

    partition: int
    version: datetime
    epoch: datetime
    deadline: float
    checkpoint: Checkpoint | None
    reading: bool = False


class Observer:
    """Judges rows dead by watching their versions: a row whose version has not changed
    for ``ttl`` seconds of this process's monotonic clock belongs to a member that
    stopped renewing. The first sighting of a version starts its clock."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._seen: dict[str, tuple[datetime, float]] = {}

    def expired(self, key: str, version: datetime, now: float | None = None) -> bool:
        """Whether the row ``key`` at ``version`` has stood still for longer than ttl."""
        moment = time.monotonic() if now is None else now
        seen = self._seen.get(key)
        if seen is None or seen[0] != version:
            self._seen[key] = (version, moment)
            return False
        return moment - seen[1] > self.ttl


def state_of(projection: Projection | None) -> dict[str, Any]:
    """A row's state as a plain dict (empty when there is no row)."""
    return {} if projection is None else dict(projection.state)
