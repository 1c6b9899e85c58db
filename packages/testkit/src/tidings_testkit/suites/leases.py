"""Contract rule 30: ``save_all_if``, the compare-and-set that consumer groups build on.

Consumer groups keep their partition leases as projection rows and fence each member's
saves with the lease it holds, so an adapter that offers ``save_all_if`` must check and
save in one atomic step: all of it or nothing, and only one of two racing callers that
expect the same row wins.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tidings import Capability, EventStore, Projection
from tidings.adapters import ExpectedRow
from tidings_testkit.suite import AdapterSuite, requires

__all__ = ["LeaseSuite"]

MOMENT = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def _row(id: str, owner: str, at: datetime = MOMENT) -> Projection:
    return Projection(name="$leases", id=id, state={"owner": owner}, created_at=at, updated_at=at)


def _save_if(store: EventStore, saves: Sequence[Projection], expected: Sequence[ExpectedRow]) -> bool:
    """The adapter's ``save_all_if``; on the async face, awaited on the view's loop."""
    result: Any = store.adapter.projections().save_all_if(saves, expected)
    if inspect.isawaitable(result):
        result = store._loop.run(result)  # type: ignore[attr-defined]  # the async face's view
    assert isinstance(result, bool), f"save_all_if must return a bool, got {result!r}"
    return result


def _owner(store: EventStore, id: str) -> Any:
    found = store.projections.load(name="$leases", id=id)
    return None if found is None else found.state["owner"]


@requires(Capability.PROJECTION_STORAGE)
class LeaseSuite(AdapterSuite):
    """Rule 30 on stores with projection storage."""

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
        assert stored is not None and stored.updated_at == later

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

            def contend(name: str, version: datetime = current.updated_at) -> None:
                try:
                    barrier.wait(timeout=10)
                    later = version + timedelta(microseconds=1)
                    expected = [ExpectedRow("$leases", "g/0", version)]
                    if _save_if(store, [_row("g/0", name, later)], expected):
                        wins.append(name)
                except BaseException as error:  # reported below
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
