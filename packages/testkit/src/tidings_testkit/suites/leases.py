"""Contract rules 30-31: ``save_all_if``, the compare-and-set that consumer groups build
on, and the groups themselves.

Consumer groups keep their partition leases as projection rows and fence each member's
saves with the lease it holds, so an adapter that offers ``save_all_if`` must check and
save in one atomic step: all of it or nothing, and only one of two racing callers that
expect the same row wins.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tidings import Capability, EventStore, NewEvent, Projection, Projector, field
from tidings.adapters import ExpectedRow
from tidings_testkit.suite import AdapterSuite, requires

__all__ = ["GroupSuite", "LeaseSuite"]

MOMENT = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def _row(id: str, owner: str, at: datetime = MOMENT) -> Projection:
    return Projection(name="$leases", id=id, state={"owner": owner}, created_at=at, updated_at=at)


def _save_if(
    store: EventStore, saves: Sequence[Projection], expected: Sequence[ExpectedRow]
) -> bool:
    """The adapter's ``save_all_if``; on the async face, awaited on the view's loop."""
    result: Any = store.adapter.projections().save_all_if(saves, expected)
    if inspect.isawaitable(result):
        result = store._loop.run(result)  # type: ignore[attr-defined]  # the async face's view
    assert isinstance(result, bool), f"save_all_if must return a bool, got {result!r}"
    return result


def _owner(store: EventStore, id: str) -> Any:
    found = store.projections.load(name="$leases", id=id)
    return None if found is None else found.state["owner"]


@requires(Capability.PROJECTION_STORAGE, Capability.COMPARE_AND_SET)
class LeaseSuite(AdapterSuite):
    """Rule 30 on stores whose projection storage can compare and set."""

    def test_save_all_if_saves_when_every_condition_holds(self, store: EventStore) -> None:
        assert _save_if(store, [_row("g/0", "a")], [ExpectedRow("$leases", "g/0", None)])
        assert _owner(store, "g/0") == "a"
        later = MOMENT + timedelta(microseconds=1)
        assert _save_if(
            store,
            [_row("g/0", "b", later), _row("g/1", "b", later)],
            [ExpectedRow("$leases", "g/0", MOMENT), ExpectedRow("$leases", "g/1", None)],
        )
        assert (_owner(store, "g/0"), _owner(store, "g/1")) == ("b", "b")
        stored = store.projections.load(name="$leases", id="g/0")
        assert stored is not None
        assert stored.updated_at == later

    def test_save_all_if_saves_nothing_when_one_condition_fails(self, store: EventStore) -> None:
        assert _save_if(store, [_row("g/0", "a")], [])
        stale = MOMENT - timedelta(microseconds=1)
        assert not _save_if(
            store,
            [_row("g/0", "b"), _row("g/1", "b"), _row("g/2", "b")],
            [ExpectedRow("$leases", "g/1", None), ExpectedRow("$leases", "g/0", stale)],
        )
        assert not _save_if(store, [_row("g/1", "c")], [ExpectedRow("$leases", "g/0", None)])
        assert not _save_if(store, [_row("g/1", "c")], [ExpectedRow("$leases", "g/9", MOMENT)])
        assert (_owner(store, "g/0"), _owner(store, "g/1"), _owner(store, "g/2")) == (
            "a",
            None,
            None,
        )

    def test_only_one_of_racing_compare_and_sets_wins(self, store: EventStore) -> None:
        assert _save_if(store, [_row("g/0", "start")], [ExpectedRow("$leases", "g/0", None)])
        rounds, contenders = 5, 4
        for round_ in range(rounds):
            current = store.projections.load(name="$leases", id="g/0")
            assert current is not None
            barrier = threading.Barrier(contenders)
            wins: list[str] = []
            errors: list[BaseException] = []

            def contend(
                name: str,
                version: datetime = current.updated_at,
                barrier: threading.Barrier = barrier,
                wins: list[str] = wins,
                errors: list[BaseException] = errors,
            ) -> None:
                try:
                    barrier.wait(timeout=10)
                    later = version + timedelta(microseconds=1)
                    expected = [ExpectedRow("$leases", "g/0", version)]
                    if _save_if(store, [_row("g/0", name, later)], expected):
                        wins.append(name)
                except BaseException as error:  # noqa: BLE001 - reported below
                    errors.append(error)

            threads = [
                threading.Thread(target=contend, args=(f"r{round_}m{n}",))
                for n in range(contenders)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert not errors, errors
            assert len(wins) == 1, f"round {round_}: {len(wins)} compare-and-sets won: {wins}"
            assert _owner(store, "g/0") == wins[0]


_TALLY = Projector(
    handlers={
        "worked": lambda state, event: state.merge(
            n=state.get("n", 0) + 1,
            disorder=state.get("disorder", 0) + (event.position != state.get("last", -1) + 1),
            last=event.position,
        )
    },
    name="group-tally",
)


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def _publish(store: EventStore, count: int, streams: int = 6) -> None:
    for index in range(count):
        store.stream(category="work", stream=f"s{index % streams}").publish(
            events=[NewEvent(name="worked", payload={"index": index})]
        )


def _projected(store: EventStore) -> int:
    return sum(int(p.state["n"]) for p in store.projections.search(name=_TALLY.name).items)


def _owners(store: EventStore, group: str) -> dict[int, Any]:
    rows = store.projections.search(name="$leases", where=[field("state.group") == group])
    return {int(row.state["partition"]): row.state["owner"] for row in rows.items}


class _Running:
    """Group members running on threads of their own, stopped at the end."""

    def __init__(self) -> None:
        self.threads: list[tuple[Any, threading.Thread]] = []
        self.errors: list[BaseException] = []

    def start(self, member: Any) -> Any:
        def run() -> None:
            try:
                member.run()
            except BaseException as error:  # noqa: BLE001 - reported by stop_all
                self.errors.append(error)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.threads.append((member, thread))
        return member

    def stop_all(self) -> None:
        for member, _ in self.threads:
            member.stop()
        for _, thread in self.threads:
            thread.join(timeout=60)
        assert not self.errors, self.errors


@requires(Capability.PROJECTION_STORAGE, Capability.COMPARE_AND_SET)
class GroupSuite(AdapterSuite):
    """Rule 31: consumer groups, on stores whose projection storage has save_all_if."""

    def _member(self, store: EventStore, name: str, **options: Any) -> Any:
        return store.group_member(
            group="tallies",
            source=store.category(category="work"),
            projector=_TALLY,
            partitions=6,
            ttl=1.0,
            member=name,
            poll_interval=0.02,
            batch_size=5,
            **options,
        )

    def test_group_members_share_the_streams_and_project_each_exactly_once(
        self, store: EventStore
    ) -> None:
        running = _Running()
        try:
            first = running.start(self._member(store, "m1"))
            _wait(lambda: set(_owners(store, "tallies").values()) == {"m1"}, "m1 holds all")
            _publish(store, 30)
            second = running.start(self._member(store, "m2"))
            _wait(lambda: set(_owners(store, "tallies").values()) == {"m1", "m2"}, "a rebalance")
            _publish(store, 30)
            _wait(lambda: _projected(store) >= 60, "every event is projected")
            assert first.owned.isdisjoint(second.owned)
        finally:
            running.stop_all()
        assert _projected(store) == 60
        for number in range(6):
            stream = store.stream(category="work", stream=f"s{number}")
            stored = store.projections.load(name=_TALLY.name, id=f"s{number}")
            assert stored is not None
            assert dict(stored.state) == dict(_TALLY.project(stream.read()).state)
            assert stored.state["disorder"] == 0
        assert set(_owners(store, "tallies").values()) == {None}, "leaving frees the partitions"

    def test_a_member_whose_lease_was_taken_cannot_save(self, store: EventStore) -> None:
        running, alive = _Running(), threading.Event()
        held: list[Projection] = []  # the thief's lease row, as it last wrote it

        def thief_renews() -> None:  # a live member that renews its lease, as m1 sees it
            while not alive.is_set():
                now = datetime.now(UTC)
                state = {"group": "tallies", "member": "a-thief", "ttl": 1.0, "left": False}
                row = Projection(name="$members", id="tallies/a-thief", state=state)
                store.projections.save(replace(row, created_at=now, updated_at=now))
                if held:
                    renewed = replace(held[-1], created_at=now, updated_at=now)
                    expected = [ExpectedRow("$leases", "tallies/1", held[-1].updated_at)]
                    if _save_if(store, [renewed], expected):
                        held.append(renewed)
                time.sleep(0.1)

        renewer = threading.Thread(target=thief_renews, daemon=True)
        try:
            member = running.start(self._member(store, "m1"))
            _wait(lambda: len(member.owned) == 6, "m1 holds every partition")
            _publish(store, 12)
            _wait(lambda: _projected(store) == 12, "m1 projects")
            renewer.start()  # m1 keeps partitions 1, 3 and 5, and hands 0, 2 and 4 over
            _wait(lambda: member.owned == frozenset({1, 3, 5}), "m1 sees the other member")
            stolen = store.projections.load(name="$leases", id="tallies/1")
            assert stolen is not None
            later = stolen.updated_at + timedelta(microseconds=1)
            state = {**dict(stolen.state), "owner": "a-thief", "epoch": later.isoformat()}
            thief = Projection(
                name="$leases", id="tallies/1", state=state, created_at=later, updated_at=later
            )
            expected = [ExpectedRow("$leases", "tallies/1", stolen.updated_at)]
            assert _save_if(store, [thief], expected)
            held.append(thief)
            before = store.projections.load(name="$checkpoints", id="tallies/1")
            _publish(store, 24)
            _wait(lambda: 1 not in member.owned, "m1 learns it lost partition 1")
            head = store.category(category="work").read()[-1].sequence_number

            def m1_caught_up() -> bool:
                points = [
                    store.projections.load(name="$checkpoints", id=f"tallies/{p}")
                    for p in member.owned
                ]
                return bool(points) and all(
                    p is not None and p.state["checkpoint"].endswith(str(head)) for p in points
                )

            _wait(m1_caught_up, "m1 goes on with the partitions it holds")
            after = store.projections.load(name="$checkpoints", id="tallies/1")
            assert after == before, "a member wrote the checkpoint of a partition it lost"
            assert _owners(store, "tallies")[1] == "a-thief"
        finally:
            alive.set()
            running.stop_all()
