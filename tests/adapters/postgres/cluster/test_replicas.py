"""Issue 16, item 4, on the real cluster: reads from hot standbys through ``read_url``.

A subscriber that follows the log on a standby never skips an event, even while the
primary takes concurrent writers that lock only their own streams (so they commit out
of sequence number order); see :mod:`tidings_postgres.replicas` for why the commit
horizon holds there. And a session reads its own writes on a standby once
``wait_for_replica`` returns."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, defaultdict

import psycopg
import pytest

import tidings
import tidings_postgres
from tidings import NewEvent, StoredEvent

from .patroni_cluster import PatroniCluster

pytestmark = pytest.mark.cluster

WRITERS = 4
EVENTS = 40


def _standbys(cluster: PatroniCluster) -> str:
    leader = cluster.wait_leader()
    hosts = ",".join(f"127.0.0.1:{node.port}" for node in cluster.nodes if node is not leader)
    return f"postgresql://postgres@{hosts}/postgres?target_session_attrs=standby"


def test_a_subscriber_on_a_standby_never_skips_an_event(healthy_cluster: PatroniCluster) -> None:
    cluster = healthy_cluster
    url = f"{cluster.url}&schema=replica_{uuid.uuid4().hex[:8]}"
    read_url = _standbys(cluster)
    with tidings.connect(url, ordering="stream", read_url=read_url) as store:
        seen: list[StoredEvent] = []
        subscription = store.log().subscribe(poll_interval=0.02, batch_size=7)
        follower = threading.Thread(target=lambda: seen.extend(subscription), daemon=True)
        follower.start()

        def write(writer: int) -> None:
            with tidings.connect(url, ordering="stream") as own:
                for number in range(EVENTS):
                    own.stream(category="c", stream=f"w{writer}-{number % 2}").publish(
                        events=[NewEvent(name="e", id=f"w{writer}-{number}")]
                    )

        threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        store.stream(category="c", stream="last").publish(events=[NewEvent(name="last")])
        tidings_postgres.wait_for_replica(store, 30)
        deadline = time.monotonic() + 30
        while len(seen) < WRITERS * EVENTS + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        subscription.close()
        follower.join(timeout=10)
    assert Counter(event.id for event in seen) == Counter(
        [f"w{w}-{n}" for w in range(WRITERS) for n in range(EVENTS)] + [seen[-1].id]
    )
    assert seen[-1].name == "last"
    positions: dict[str, list[int]] = defaultdict(list)
    for event in seen:
        positions[event.stream].append(event.position)
    assert all(p == list(range(len(p))) for p in positions.values())


def test_a_session_reads_its_own_writes_on_a_standby(healthy_cluster: PatroniCluster) -> None:
    cluster = healthy_cluster
    url = f"{cluster.url}&schema=ryw_{uuid.uuid4().hex[:8]}"
    with tidings.connect(url, read_url=_standbys(cluster)) as store:
        stream = store.stream(category="c", stream="s")
        for number in range(20):
            stored = stream.publish(events=[NewEvent(name="e", payload={"n": number})])
            tidings_postgres.wait_for_replica(store, 30)
            assert stream.latest() == stored[0]


def test_the_first_read_of_a_new_store_on_a_standby_waits_for_its_schema(
    healthy_cluster: PatroniCluster,
) -> None:
    """A new store creates its schema on the primary as it opens; a standby that has not
    replayed it yet would answer the first read (a subscriber's first page) with "no
    such table". The first read there waits until the standby has the schema. (Patroni
    itself resumes a paused replay within a loop or two; the timer makes sure.)"""
    cluster = healthy_cluster
    leader = cluster.wait_leader()
    standby = next(node for node in cluster.nodes if node is not leader)
    url = f"{cluster.url}&schema=fresh_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(standby.url, autocommit=True) as admin:
        admin.execute("SELECT pg_wal_replay_pause()")
        resume = threading.Timer(0.5, lambda: admin.execute("SELECT pg_wal_replay_resume()"))
        try:
            with tidings.connect(url, read_url=standby.url) as store:
                resume.start()
                assert list(store.log().subscribe(until_caught_up=True)) == []
                stored = store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
                tidings_postgres.wait_for_replica(store, 30)
                assert store.log().read() == stored
        finally:
            resume.cancel()
            if resume.ident is not None:
                resume.join()
            admin.execute("SELECT pg_wal_replay_resume()")
