"""Issue 16, item 3: a failover test in the spirit of Jepsen, on a real Patroni cluster.

Four writer processes publish events with ids, retrying each with the same ids through
:func:`tidings.publish_with_retry`, and a subscriber follows the log, resuming from its
checkpoint whenever the cluster drops it. Meanwhile the cluster goes through three
failovers: a planned switchover, a SIGKILL of the primary's postmaster, and a freeze of
the whole primary node (Patroni and PostgreSQL, SIGSTOP) past the leader TTL, then a
thaw. Afterwards: every acknowledged event is stored exactly once, at the position it
was acknowledged with, on every node; no event is stored twice; positions are
contiguous in every stream; and the subscriber saw every stored event exactly once, in
position order per stream. The figures (events written, acknowledged, lost, duplicated,
and how long writes were unavailable around each failover) are printed, and written as
JSON to ``$TIDINGS_FAILOVER_REPORT`` when that is set.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import psycopg
import pytest

import tidings
from tidings import Checkpoint, StoredEvent

from .patroni_cluster import TTL, PatroniCluster

pytestmark = pytest.mark.cluster

WRITERS = 4
SETTLE = 3.0
"""Seconds of writing between faults."""
CLIENT = {
    "connect_timeout": 2,
    "operation_timeout": 4,
    "keepalives_idle": 2,
    "keepalives_interval": 1,
    "keepalives_count": 2,
    "tcp_user_timeout": 4,
}


class Follower:
    """A subscriber of the log that survives failovers: on a storage error it resumes
    from the checkpoint of the last event it was handed."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: list[StoredEvent] = []
        self.seen_at: list[float] = []
        self.seen_how: list[tuple[int, str]] = []
        """For each delivery: which subscription (0, then one more per resumption) and
        the checkpoint it resumed from."""
        self.resumptions = 0
        self._stop = threading.Event()
        self._subscription: tidings.Subscription | None = None
        self._thread = threading.Thread(target=self._run, name="follower", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        checkpoint: Checkpoint | None = None
        with tidings.connect(self.url, **CLIENT) as store:
            while not self._stop.is_set():
                try:
                    start = "beginning" if checkpoint is None else checkpoint
                    with store.log().subscribe(start=start, poll_interval=0.05) as sub:
                        self._subscription = sub
                        if self._stop.is_set():
                            return
                        for event in sub:
                            self.seen.append(event)
                            self.seen_at.append(time.time())
                            self.seen_how.append((self.resumptions, str(start)))
                            checkpoint = sub.checkpoint
                except tidings.StorageError:
                    self.resumptions += 1
                    time.sleep(0.2)

    def stop(self) -> None:
        self._stop.set()
        if self._subscription is not None:
            self._subscription.close()
        self._thread.join(timeout=30)


def _rows(url: str, schema: str) -> list[tuple[str, str, int]]:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return [
            (str(row[0]), str(row[1]), int(row[2]))
            for row in conn.execute(
                f'SELECT id, stream, position FROM "{schema}".events ORDER BY sequence_number'
            )
        ]


def _unavailability(acks: list[float], fault: float, until: float) -> float:
    """The longest gap between acknowledgements from just before ``fault`` to ``until``."""
    before = [t for t in acks if t <= fault]
    after = [t for t in acks if fault < t <= until]
    times = ([before[-1]] if before else [fault]) + after
    if len(times) < 2:
        return until - times[0]
    return max(b - a for a, b in itertools.pairwise(times))


def _wait_replayed(cluster: PatroniCluster, timeout: float = 60) -> None:
    """Until every standby has replayed all the primary wrote."""
    leader = cluster.leader()
    assert leader is not None
    with psycopg.connect(leader.url, autocommit=True) as conn:
        target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
    deadline = time.monotonic() + timeout
    for node in cluster.nodes:
        if node is leader:
            continue
        with psycopg.connect(node.url, autocommit=True) as conn:
            while True:
                row = conn.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
                ).fetchone()
                if row and row[0]:
                    break
                assert time.monotonic() < deadline, f"{node.name} never replayed {target}"
                time.sleep(0.1)


@pytest.mark.timeout(480)
def test_no_acknowledged_event_is_lost_or_duplicated_across_three_failovers(
    healthy_cluster: PatroniCluster, tmp_path: Path
) -> None:
    cluster = healthy_cluster
    schema = f"jepsen_{uuid.uuid4().hex[:8]}"
    url = f"{cluster.url}&schema={schema}"
    with tidings.connect(url, **CLIENT):
        pass  # the schema, before the writers race to create it
    stop = tmp_path / "stop"
    writer_script = Path(__file__).with_name("writer.py")
    outputs = [tmp_path / f"writer{index}.jsonl" for index in range(WRITERS)]
    writers = []
    for index, out in enumerate(outputs):
        with (tmp_path / f"writer{index}.err").open("wb") as errors:
            command = [sys.executable, str(writer_script), url, str(index), str(out), str(stop)]
            writers.append(subprocess.Popen(command, stderr=errors))
    follower = Follower(url)
    follower.start()
    faults: list[tuple[str, float, float]] = []
    try:
        deadline = time.monotonic() + 90
        while not all(out.exists() and out.stat().st_size for out in outputs):
            assert time.monotonic() < deadline, "the writers never got going"
            assert all(writer.poll() is None for writer in writers), "a writer died"
            time.sleep(0.1)
        time.sleep(SETTLE)
        started = time.time()
        cluster.switchover()
        cluster.wait_healthy(120)
        faults.append(("switchover", started, time.time()))

        time.sleep(SETTLE)
        started = time.time()
        cluster.kill_postmaster()
        cluster.wait_healthy(120)
        faults.append(("SIGKILL of the primary's postmaster", started, time.time()))

        time.sleep(SETTLE)
        old = cluster.wait_leader()
        started = time.time()
        cluster.freeze(old)
        deadline = time.monotonic() + TTL * 4
        while (leader := cluster.leader()) is None or leader is old:
            assert time.monotonic() < deadline, "no new primary while the old one was frozen"
            time.sleep(0.25)
        time.sleep(2)  # the new primary takes writes while the old one is still frozen
        cluster.thaw()
        cluster.wait_healthy(120)
        faults.append(
            (f"SIGSTOP of the whole primary node past the {TTL}s TTL", started, time.time())
        )

        time.sleep(SETTLE)
    finally:
        stop.touch()
        deadline = time.monotonic() + 90
        try:
            for writer in writers:
                writer.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            for writer in writers:  # stuck, or the test was interrupted: leave none behind
                if writer.poll() is None:
                    writer.kill()
                    writer.wait()
    for index, writer in enumerate(writers):
        if writer.returncode != 0:
            print(f"writer {index}:", (tmp_path / f"writer{index}.err").read_text()[-3000:])
    assert [writer.returncode for writer in writers] == [0] * WRITERS

    records = [json.loads(line) for out in outputs for line in out.read_text().splitlines()]
    acked = {r["id"]: r for r in records if "acked_at" in r}
    unacked = {r["id"] for r in records if "acked_at" not in r}
    leader = cluster.leader()
    assert leader is not None
    stored = _rows(leader.url, schema)
    counts = Counter(event_id for event_id, _, _ in stored)

    # Follow the log to its end, then stop following.
    deadline = time.monotonic() + 60
    while len(follower.seen) < len(stored) and time.monotonic() < deadline:
        time.sleep(0.1)
    follower.stop()

    lost = sorted(event_id for event_id in acked if counts[event_id] == 0)
    duplicated = sorted(event_id for event_id, count in counts.items() if count > 1)
    acks = sorted(r["acked_at"] for r in acked.values())
    figures: dict[str, Any] = {
        "writers": WRITERS,
        "events_written": len(records),
        "acknowledged": len(acked),
        "unacknowledged": len(unacked),
        "stored": len(stored),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "subscriber_seen": len(follower.seen),
        "subscriber_resumptions": follower.resumptions,
        "stale_sync_key_repairs": cluster.sync_key_repairs,
        "failovers": [
            {
                "fault": name,
                "writes_unavailable_seconds": round(_unavailability(acks, start, end), 2),
                "cluster_healthy_again_after_seconds": round(end - start, 2),
            }
            for name, start, end in faults
        ],
    }
    print("\nfailover figures:", json.dumps(figures, indent=2))
    report = os.environ.get("TIDINGS_FAILOVER_REPORT")
    if report:
        Path(report).write_text(json.dumps(figures, indent=2) + "\n")

    # Every acknowledged event is stored exactly once, where it was acknowledged.
    assert lost == []
    assert duplicated == []
    by_id = {event_id: (stream, position) for event_id, stream, position in stored}
    assert all(by_id[i] == (r["stream"], r["position"]) for i, r in acked.items())
    # Every stored event was written by a writer (acknowledged, or given up on).
    assert set(by_id) <= set(acked) | unacked
    # Positions are contiguous in every stream.
    positions: dict[str, list[int]] = defaultdict(list)
    for _, stream, position in stored:
        positions[stream].append(position)
    assert all(sorted(p) == list(range(len(p))) for p in positions.values())
    # The standbys hold exactly what the primary holds.
    _wait_replayed(cluster)
    for node in cluster.nodes:
        assert sorted(_rows(node.url, schema)) == sorted(stored), node.name
    # The subscriber saw every event exactly once, in position order per stream.
    seen = Counter(event.id for event in follower.seen)
    stored_ids = Counter(list(by_id))
    extra = sorted((seen - stored_ids).elements())
    missing = sorted((stored_ids - seen).elements())
    if extra or missing:
        detail = [
            (e.id, e.position, e.sequence_number, round(when - faults[0][1], 2), how)
            for e, when, how in zip(follower.seen, follower.seen_at, follower.seen_how)
            if e.id in set(extra)
        ]
        print("faults:", [(name, round(start - faults[0][1], 2)) for name, start, _ in faults])
        print("seen twice or never stored:", detail)
        print("stored:", [(i, by_id[i]) for i in set(extra) if i in by_id])
    assert extra == []
    assert missing == []
    order: dict[str, list[int]] = defaultdict(list)
    for event in follower.seen:
        order[event.stream].append(event.position)
    assert all(p == list(range(len(p))) for p in order.values())
    assert len(faults) == 3
    assert len(acked) > 100
