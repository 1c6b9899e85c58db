"""Consumer groups on PostgreSQL: throughput with 1, 2 and 4 members, and failover.

Run it from ``benchmarks/``::

    python -m tidings_bench.groups [--postgres-url URL] [--events 20000] [--rounds 3]

**Throughput.** ``streams`` streams of events are stored once. In each round, for each
member count (the order rotating), a fresh group of that many member processes keeps
the exactly-once projection of every stream (``store.group_member(projector=...)``):
the members start, connect and wait; the clock starts when they are told to go (so
imports and connections are not timed, but joining and sharing the partitions are) and
stops when every stream's projection counts all its events. The same events consumed
by one plain ``projection_consumer`` (one projection for the whole category, one
process) are the reference: ``members ÷ plain`` is what the coordination costs, or
gains. The per-event work is a counter, so the figures show the machinery.

**Failover.** Two members follow a category with live writes; one is killed with
SIGKILL; the time until the other holds every partition is the failover time, for a
given lease ttl. A dead member's partitions move once its lease rows have not changed
for the ttl, seen by a live member that looks every ttl / 4.

Each run writes ``results/groups-<time>.json`` (every round) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tidings
from tidings import NewEvent, Projector

__all__ = ["main"]

CATEGORY = "accounts"
PARTITIONS = 16
MEMBER_COUNTS = (1, 2, 4)
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _projector(name: str) -> Projector:
    return Projector(
        handlers={"deposited": lambda state, _: state.merge(n=state.get("n", 0) + 1)}, name=name
    )


def _member(url: str, group: str, go: str, ttl: float) -> None:
    """One group member process: connect, wait for the go file, run until SIGTERM."""
    with tidings.connect(url) as store:
        member = store.group_member(
            group=group,
            source=store.category(category=CATEGORY),
            projector=_projector(group),
            partitions=PARTITIONS,
            ttl=ttl,
            poll_interval=0.05,
        )
        store.log().latest()  # the pool is open before the clock starts
        Path(f"{go}.{os.getpid()}.ready").touch()
        while not os.path.exists(go):
            time.sleep(0.005)
        sys.exit(tidings.run_worker(member))


def _spawn(url: str, group: str, go: Path, ttl: float) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [
        sys.executable,
        "-m",
        "tidings_bench.groups",
        "member",
        url,
        group,
        str(go),
        str(ttl),
    ]
    return subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)


def _counted(store: tidings.EventStore, name: str) -> int:
    return sum(int(p.state.get("n", 0)) for p in store.projections.search(name=name).items)


def _load(store: tidings.EventStore, streams: int, per_stream: int) -> None:
    for stream in range(streams):
        events = [NewEvent(name="deposited", payload={"amount": n}) for n in range(per_stream)]
        store.stream(category=CATEGORY, stream=f"a{stream}").publish(events=events)


def _group_round(url: str, members: int, total: int, folder: Path) -> dict[str, Any]:
    group = f"g{uuid.uuid4().hex[:10]}"
    go = folder / f"{group}.go"
    processes = [_spawn(url, group, go, 10.0) for _ in range(members)]
    try:
        with tidings.connect(url) as store:
            deadline = time.monotonic() + 300
            while len(list(folder.glob(f"{group}.go.*.ready"))) < members:
                if time.monotonic() > deadline:  # imports and connections, off the clock
                    raise RuntimeError("the members never got ready")
                time.sleep(0.02)
            started = time.perf_counter()
            go.touch()
            while _counted(store, group) < total:
                if any(p.poll() is not None for p in processes):
                    raise RuntimeError("a member exited early")
                time.sleep(0.02)
            seconds = time.perf_counter() - started
            counted = _counted(store, group)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
    exact = counted == total
    return {"members": members, "seconds": seconds, "rate": total / seconds, "exact": exact}


def _plain_round(url: str, total: int) -> dict[str, Any]:
    name = f"p{uuid.uuid4().hex[:10]}"
    with tidings.connect(url) as store:
        consumer = store.projection_consumer(
            name=name, source=store.category(category=CATEGORY), projector=_projector(name)
        )
        started = time.perf_counter()
        projection = consumer.run(until_caught_up=True)
        seconds = time.perf_counter() - started
    exact = int(projection.state["n"]) == total
    return {"members": 0, "seconds": seconds, "rate": total / seconds, "exact": exact}


def _failover_round(url: str, ttl: float, folder: Path) -> dict[str, Any]:
    group = f"f{uuid.uuid4().hex[:10]}"
    go = folder / f"{group}.go"
    go.touch()
    processes = [_spawn(url, group, go, ttl) for _ in range(2)]
    stop = threading.Event()

    def write() -> None:
        with tidings.connect(url) as store:
            index = 0
            while not stop.is_set():
                stream = store.stream(category=CATEGORY, stream=f"live{index % 8}")
                stream.publish(events=[NewEvent(name="deposited", payload={"amount": index})])
                index += 1
                time.sleep(0.01)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        with tidings.connect(url) as store:
            owners: dict[int, Any] = {}
            deadline = time.monotonic() + 120
            while len({o for o in owners.values() if o}) < 2 or len(owners) < PARTITIONS:
                owners = _owners(store, group)
                if time.monotonic() > deadline:
                    raise RuntimeError("the two members never shared the partitions")
                time.sleep(0.05)
            time.sleep(ttl)
            victim_owner = owners[0]
            victim = processes[0] if _member_pid(victim_owner) == processes[0].pid else processes[1]
            victim.send_signal(signal.SIGKILL)
            killed = time.perf_counter()
            victim.wait(timeout=30)
            while True:
                owners = _owners(store, group)
                if victim_owner not in owners.values() and None not in owners.values():
                    break
                time.sleep(0.01)
            seconds = time.perf_counter() - killed
    finally:
        stop.set()
        writer.join(timeout=60)
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
    return {"ttl": ttl, "failover_seconds": seconds, "ttl_multiple": seconds / ttl}


def _owners(store: tidings.EventStore, group: str) -> dict[int, Any]:
    rows = store.projections.search(name="$leases", where=[tidings.field("state.group") == group])
    return {int(row.state["partition"]): row.state["owner"] for row in rows.items}


def _member_pid(member: str) -> int:
    """Member names are host-pid-nonce."""
    return int(member.rsplit("-", 2)[1])


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["member"]:
        _member(arguments[1], arguments[2], arguments[3], float(arguments[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    parser.add_argument("--streams", type=int, default=400)
    parser.add_argument("--per-stream", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ttls", default="1,2")
    parser.add_argument("--out", type=Path, default=None)
    options = parser.parse_args(arguments)
    schema = f"groupbench_{uuid.uuid4().hex[:8]}"
    url = f"{options.postgres_url}{'&' if '?' in options.postgres_url else '?'}schema={schema}"
    total = options.streams * options.per_stream
    records: list[dict[str, Any]] = []
    started_at = datetime.now(UTC)
    with tidings.connect(url) as store:
        _load(store, options.streams, options.per_stream)
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(options.rounds):
            order = [*MEMBER_COUNTS, 0]
            order = order[round_ % len(order) :] + order[: round_ % len(order)]
            for members in order:
                record = (
                    _plain_round(url, total)
                    if members == 0
                    else _group_round(url, members, total, Path(folder))
                )
                records.append({"kind": "throughput", "round": round_, **record})
                print(json.dumps(records[-1]), file=sys.stderr)
        for ttl in (float(t) for t in options.ttls.split(",")):
            for round_ in range(options.rounds):
                record = _failover_round(url, ttl, Path(folder))
                records.append({"kind": "failover", "round": round_, **record})
                print(json.dumps(records[-1]), file=sys.stderr)
    _drop(options.postgres_url, schema)
    result = {
        "started_at": started_at.isoformat(),
        "events": total,
        "streams": options.streams,
        "partitions": PARTITIONS,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "records": records,
    }
    out = options.out or Path("results") / f"groups-{started_at:%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(_report(result))
    return 0 if all(r.get("exact", True) for r in records) else 1


def _report(result: dict[str, Any]) -> str:
    records = result["records"]
    plain = statistics.median(r["rate"] for r in records if r.get("members") == 0)
    lines = [
        f"{result['events']:,} events in {result['streams']} streams, {result['partitions']}"
        f" partitions; median of {max(r['round'] for r in records) + 1} rounds.",
        "",
        "| consumer | events/s | ÷ plain consumer | exactly once |",
        "|---|--:|--:|---|",
    ]
    for members in (0, *MEMBER_COUNTS):
        rows = [r for r in records if r.get("members") == members and r["kind"] == "throughput"]
        rate = statistics.median(r["rate"] for r in rows)
        label = (
            "plain projection consumer, 1 process"
            if members == 0
            else f"group, {members} member(s)"
        )
        exact = "yes" if all(r["exact"] for r in rows) else "NO"
        lines.append(f"| {label} | {rate:,.0f} | {rate / plain:.2f}x | {exact} |")
    lines += ["", "| lease ttl | failover after SIGKILL (median) | ÷ ttl |", "|--:|--:|--:|"]
    for ttl in sorted({r["ttl"] for r in records if r["kind"] == "failover"}):
        rows = [r for r in records if r["kind"] == "failover" and r["ttl"] == ttl]
        seconds = statistics.median(r["failover_seconds"] for r in rows)
        lines.append(f"| {ttl:g} s | {seconds:.2f} s | {seconds / ttl:.2f}x |")
    return "\n".join(lines)


def _drop(server_url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    sys.exit(main())
