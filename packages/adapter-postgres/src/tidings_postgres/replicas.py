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

Subscribers on the primary: with synchronous replication, a commit is acknowledged only
once a synchronous standby has it, and it becomes visible to other sessions only then,
except when the committing backend's wait is cut short (a shutdown, a crash of the
postmaster, a cancelled wait): then it commits locally, visible at once on a primary
whose standby never got it, and a failover loses it. A subscriber that delivered such an
event, and moved its checkpoint past it, would see the writer's retry of it a second
time on the new primary, or skip events committed there under transaction ids the lost
one had used. So a page of the log or a category is delivered only once a synchronous
standby has flushed the primary's WAL as far as it reached after the page was read
(:data:`SYNC_POSITION`, :data:`SYNC_FLUSHED`), on the same connection, so the check is
made on the server the page came from.

Read-your-writes: after each publish, a store with ``read_url`` notes the primary's WAL
position (``pg_current_wal_lsn()``, which is past the commit record once the commit
returns), and ``wait_for_replica`` polls the standby until ``pg_last_wal_replay_lsn()``
reaches it. On a primary (``read_url`` naming one), the replay position is NULL and
there is nothing to wait for.
"""

from __future__ import annotations

__all__ = [
    "DURABLE_WAIT",
    "PRIMARY_POSITION",
    "REPLAYED",
    "REPLAY_POLL",
    "SYNC_FLUSHED",
    "SYNC_POSITION",
    "UNKNOWN_POSITION",
]

PRIMARY_POSITION = "SELECT pg_current_wal_lsn()::text"
"""Where the primary's WAL ends now."""

REPLAYED = "SELECT coalesce(pg_last_wal_replay_lsn() >= %(lsn)s::pg_lsn, TRUE)"
"""Whether this server has replayed up to ``lsn`` (a primary always has)."""

REPLAY_POLL = 0.01
"""Seconds between checks while waiting for a standby to replay."""

UNKNOWN_POSITION = "unknown"
"""The commit position after a publish whose position could not be read."""

SYNC_POSITION = (
    "SELECT CASE WHEN pg_is_in_recovery() OR current_setting('synchronous_standby_names') = ''"
    " THEN NULL ELSE pg_current_wal_lsn()::text END"
)
"""On a primary with synchronous standbys: where its WAL ends now, past the commit of
everything visible so far. NULL anywhere else: every visible commit is as durable as
the server can make it."""

SYNC_FLUSHED = (
    "SELECT coalesce(max(flush_lsn) >= %(lsn)s::pg_lsn, FALSE) FROM pg_stat_replication"
    " WHERE sync_state IN ('sync', 'quorum')"
)
"""Whether a synchronous standby has flushed the WAL up to ``lsn`` (with several, the
most advanced one: enough for one synchronous standby, as Patroni runs it)."""

DURABLE_WAIT = 2.0
"""Seconds a subscription page waits for a synchronous standby before it is dropped
and read again at the next poll."""
