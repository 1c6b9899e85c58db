"""Reading from standbys: the statements behind ``read_url`` and read-your-writes.

Why a subscriber on a hot standby never skips an event: it reads the log below the
commit horizon ``pg_snapshot_xmin(pg_current_snapshot())`` of the standby's snapshot.
A standby builds snapshots from the WAL it has replayed: a transaction is in progress
there from the first WAL record that shows its id (or any later id: replay marks every
id up to the newest one seen as running) until its commit or abort record is replayed.
So every transaction that is not yet visible on the standby either holds an id the
standby counts as running, which is at or above the snapshot's xmin, or an id above
the newest one replayed, which is above xmin too. Either way its events land at or
above the horizon, where the subscriber has not read yet; nothing can commit below it.
This is the primary's argument, replayed: commit records reach the standby in the order
they were written, which is the order commits became visible on the primary.

Read-your-writes: after each publish, a store with ``read_url`` notes the primary's WAL
position (``pg_current_wal_lsn()``, which is past the commit record once the commit
returns), and ``wait_for_replica`` polls the standby until ``pg_last_wal_replay_lsn()``
reaches it. On a primary (``read_url`` naming one), the replay position is NULL and
there is nothing to wait for.
"""

from __future__ import annotations

__all__ = ["PRIMARY_POSITION", "REPLAYED", "REPLAY_POLL", "UNKNOWN_POSITION"]

PRIMARY_POSITION = "SELECT pg_current_wal_lsn()::text"
"""Where the primary's WAL ends now."""

REPLAYED = "SELECT coalesce(pg_last_wal_replay_lsn() >= %(lsn)s::pg_lsn, TRUE)"
"""Whether this server has replayed up to ``lsn`` (a primary always has)."""

REPLAY_POLL = 0.01
"""Seconds between checks while waiting for a standby to replay."""

UNKNOWN_POSITION = "unknown"
"""The commit position after a publish whose position could not be read."""
