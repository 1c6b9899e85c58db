"""Consumer groups with real worker processes, on SQLite files and PostgreSQL (rule 31).

Each test runs members of one group in processes of their own (``group_worker.py``)
while a writer publishes, then breaks something: a member killed with SIGKILL in the
middle of a batch, a member paused with SIGSTOP past its lease, members added and
stopped. The ttl is one second, so each test takes a few seconds. Then:

- every event is handled, and each stream's projection equals the projection made from
  scratch (exactly once across member deaths and rebalances);
- each stream's events are applied in position order (``disorder`` stays 0);
- in the record of handler calls, a partition never goes back to an older lease epoch:
  once a member took it, the member it came from handles none of its events again.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tidings
from postgres_server import SchemaFactory, postgres_url, schemas
from tidings import NewEvent

from .group_worker import GROUP, PARTITIONS, PROJECTOR

__all__ = ["postgres_url", "schemas"]

pytestmark = pytest.mark.processes

WORKER = Path(__file__).with_name("group_worker.py")
TTL = 1.0
STREAMS = 12
EVENTS = 480
DEADLINE = 90.0


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/events.db"
    else:
        factory: SchemaFactory = request.getfixturevalue("schemas")
        yield factory.url()


class Workers:
    """The member processes of one test; every one still running is killed at the end."""

    def __init__(self, url: str, mode: str, directory: Path) -> None:
        self.url, self.mode, self.directory = url, mode, directory
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        index = len(self.processes)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        with open(self.directory / f"worker{index}.log", "wb") as errors:
            process = subprocess.Popen(
                [sys.executable, str(WORKER), self.url, self.mode, str(self.record), str(TTL)],
                env=env,
                stderr=errors,
            )
        self.processes.append(process)
        return process

    @property
    def record(self) -> Path:
        return self.directory / "calls.jsonl"

    def log(self, process: subprocess.Popen[bytes]) -> str:
        return (self.directory / f"worker{self.processes.index(process)}.log").read_text()

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM, then the exit code must be 0 (a graceful stop)."""
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, self.log(process)

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)


@pytest.fixture
def workers(
    request: pytest.FixtureRequest, url: str, tmp_path: Path
) -> Iterator[Callable[[str], Workers]]:
    made: list[Workers] = []

    def make(mode: str) -> Workers:
        made.append(Workers(url, mode, tmp_path))
        return made[-1]

    yield make
    for group in made:
        group.kill_all()


class Writer(threading.Thread):
    """Publishes EVENTS events over STREAMS streams, one at a time; :meth:`finish`
    waits for it and raises what it raised."""

    def __init__(self, url: str, pause: float) -> None:
        super().__init__()
        self.url, self.pause = url, pause
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with tidings.connect(self.url) as store:
                for index in range(EVENTS):
                    stream = store.stream(category="work", stream=f"s{index % STREAMS}")
                    stream.publish(events=[NewEvent(name="worked", payload={"index": index})])
                    time.sleep(self.pause)
        except BaseException as error:  # noqa: BLE001 - re-raised by finish()
            self.error = error

    def finish(self) -> None:
        self.join(timeout=DEADLINE)
        assert not self.is_alive(), "the writer is stuck"
        if self.error is not None:
            raise self.error


def _publish(url: str, *, pause: float = 0.004) -> Writer:
    writer = Writer(url, pause)
    writer.start()
    return writer


def _owners(url: str) -> dict[int, str | None]:
    with tidings.connect(url) as store:
        rows = store.projections.search(
            name="$leases", where=[tidings.field("state.group") == GROUP]
        )
    return {int(row.state["partition"]): row.state["owner"] for row in rows.items}


def _member_of(workers: Workers, process: subprocess.Popen[bytes]) -> str:
    """The member name a worker logged when it joined."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        for line in workers.log(process).splitlines():
            entry = json.loads(line)
            if entry.get("message") == "joined":
                return str(entry["member"])
        time.sleep(0.05)
    raise AssertionError("the worker never joined")


def _wait(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> float:
    """Wait until ``condition`` holds; return how long it took."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"timed out waiting until {what}"
        time.sleep(0.05)
    return time.monotonic() - started


def _all_projected(url: str) -> bool:
    with tidings.connect(url) as store:
        rows = store.projections.search(name=PROJECTOR.name)
    return sum(int(row.state.get("count", 0)) for row in rows.items) >= EVENTS


def _check_projections(url: str) -> None:
    """Each stream's stored projection equals the projection of its events from scratch."""
    with tidings.connect(url) as store:
        for number in range(STREAMS):
            stream = store.stream(category="work", stream=f"s{number}")
            expected = PROJECTOR.project(stream.read())
            stored = store.projections.load(name=PROJECTOR.name, id=f"s{number}")
            assert stored is not None, f"s{number} was never projected"
            assert dict(stored.state) == dict(expected.state), f"s{number}"
            assert stored.state["disorder"] == 0, f"s{number}: events applied out of order"


def _calls(workers: Workers) -> list[dict[str, Any]]:
    lines = workers.record.read_text().splitlines()
    return sorted((json.loads(line) for line in lines), key=lambda call: call["time"])


def _check_calls(calls: list[dict[str, Any]], frozen: tuple[str, float] | None = None) -> None:
    """Every event handled; per partition, lease epochs never go back (no two members
    at once); per stream, positions never skip, and within one lease they go up by one.

    ``frozen`` names a member that was paused, and when it was let go on. The one event
    it had already checked its lease for when it froze is still handled when it wakes,
    under its old lease: a call it had decided on cannot be taken back (the consumer
    groups guide says so). That call, and only that one, may go back an epoch.
    """
    handled = {(call["stream"], call["position"]) for call in calls}
    assert len(handled) == EVENTS, f"{EVENTS - len(handled)} events never handled"
    in_hand = None
    if frozen is not None:
        woken = [c for c in calls if c["member"] == frozen[0] and c["time"] >= frozen[1]]
        in_hand = woken[0] if woken else None
    newest: dict[int, str] = {}
    seen: dict[str, int] = defaultdict(lambda: -1)
    last: dict[tuple[str, str], int] = {}
    for call in calls:
        partition, epoch, stream = call["partition"], call["epoch"], call["stream"]
        assert epoch is not None, f"a handler call without a lease: {call}"
        if call is in_hand and epoch < newest.get(partition, ""):
            continue  # the call in hand at the freeze, under the lease it had then
        assert epoch >= newest.get(partition, ""), (
            f"partition {partition} handled under an old lease after a newer one: {call}"
        )
        newest[partition] = epoch
        assert call["position"] <= seen[stream] + 1, f"{stream} skipped to {call}"
        seen[stream] = max(seen[stream], call["position"])
        previous = last.get((stream, epoch))
        assert previous is None or call["position"] == previous + 1, f"out of order: {call}"
        last[(stream, epoch)] = call["position"]


def test_a_killed_member_s_partitions_move_within_the_ttl_and_nothing_is_lost(
    url: str, workers: Callable[[str], Workers]
) -> None:
    group = workers("projection")
    members = [group.start() for _ in range(3)]
    names = [_member_of(group, process) for process in members]
    _wait(lambda: set(_owners(url).values()) == set(names), "three members share the work")
    writer = _publish(url)
    time.sleep(0.6)  # the members are in the middle of batches
    victim, victim_name = members[1], names[1]
    assert set(_owners(url).values()) == set(names)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    failover = _wait(
        lambda: victim_name not in _owners(url).values() and None not in _owners(url).values(),
        "the dead member's partitions move",
    )
    # The ttl, one renewal period of the observers, and the load of a shared machine.
    assert failover < 3 * TTL, f"failover took {failover:.2f}s with a ttl of {TTL}s"
    writer.finish()
    _wait(lambda: _all_projected(url), "every event is projected")
    for process in (members[0], members[2]):
        group.stop(process)
    _check_projections(url)


def test_a_paused_member_stops_writing_and_no_partition_has_two_members(
    url: str, workers: Callable[[str], Workers]
) -> None:
    group = workers("handler")
    members = [group.start() for _ in range(3)]
    names = [_member_of(group, process) for process in members]
    _wait(lambda: set(_owners(url).values()) == set(names), "three members share the work")
    writer = _publish(url)
    time.sleep(0.5)
    paused, paused_name = members[0], names[0]
    _pause_outside_a_write(paused, url)
    _wait(lambda: paused_name not in _owners(url).values(), "the paused member's leases move")
    time.sleep(TTL)  # the others handle its partitions for a while
    resumed = time.time()
    paused.send_signal(signal.SIGCONT)
    writer.finish()
    _wait(lambda: len({(c["stream"], c["position"]) for c in _calls(group)}) == EVENTS, "all done")
    _wait(lambda: set(_owners(url).values()) == set(names), "the paused member is back")
    for process in members:
        group.stop(process)
    log = group.log(paused)
    assert "lease lost" in log or "save fenced" in log, log
    _check_calls(_calls(group), frozen=(paused_name, resumed))


def _pause_outside_a_write(process: subprocess.Popen[bytes], url: str) -> None:
    """SIGSTOP ``process`` at a moment when it holds no SQLite write lock: frozen inside
    a write transaction, it would hold the file's lock, and every writer would wait for
    it (SQLite cannot take a lock back; the consumer-groups guide says so). PostgreSQL
    ends such a session itself, so there any moment will do."""
    for _ in range(100):
        process.send_signal(signal.SIGSTOP)
        if not url.startswith("sqlite:"):
            return
        probe = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0.2)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return
        except sqlite3.OperationalError:  # it holds the lock: let it finish, try again
            process.send_signal(signal.SIGCONT)
            time.sleep(0.05)
        finally:
            probe.close()
    raise AssertionError("the member held the write lock every time it was paused")


def test_a_group_grows_from_two_to_four_members_and_shrinks_back_to_two(
    url: str, workers: Callable[[str], Workers]
) -> None:
    group = workers("projection")
    first = [group.start() for _ in range(2)]
    first_names = [_member_of(group, process) for process in first]
    _wait(lambda: set(_owners(url).values()) == set(first_names), "two members share the work")
    writer = _publish(url, pause=0.01)
    time.sleep(0.5)
    more = [group.start() for _ in range(2)]
    names = first_names + [_member_of(group, process) for process in more]
    # Set equality alone is reached mid-rebalance too (a newcomer holds one partition
    # while an older member still holds three): wait for the even shares themselves.
    even = Counter(dict.fromkeys(names, PARTITIONS // 4))
    _wait(lambda: Counter(_owners(url).values()) == even, "four members share the work evenly")
    for process in first:
        group.stop(process)
    rest = names[2:]
    _wait(lambda: set(_owners(url).values()) == set(rest), "two members share the work again")
    writer.finish()
    _wait(lambda: _all_projected(url), "every event is projected")
    for process in more:
        group.stop(process)
    _check_projections(url)
