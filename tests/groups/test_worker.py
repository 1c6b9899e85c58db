"""The worker runner on both faces: a signal stops it after the batch in hand, and its
exit code says how the run ended."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path

import pytest

import tidings
from tidings import NewEvent, Projector, StoredEvent, run_worker, run_worker_async

TALLY = Projector(handlers={"worked": lambda state, _: state.merge(n=state.get("n", 0) + 1)})


def _fill(url: str, count: int = 10) -> None:
    with tidings.connect(url) as store:
        for index in range(count):
            store.stream(category="work", stream=f"s{index % 2}").publish(
                events=[NewEvent(name="worked", payload={"index": index})]
            )


def _signal_later(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    return timer


def test_sigterm_stops_a_sync_group_member_with_exit_code_0(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    _fill(url)
    with tidings.connect(url) as store:
        member = store.group_member(
            group="g", source=store.category(category="work"), projector=TALLY, ttl=1.0
        )
        previous = signal.getsignal(signal.SIGTERM)
        _signal_later(1.0)
        assert run_worker(member) == 0
        assert signal.getsignal(signal.SIGTERM) == previous, "the runner restores the handler"
        counts = [p.state["n"] for p in store.projections.search(name=TALLY.name).items]
        assert sum(counts) == 10
        assert member.owned == frozenset(), "a stopped member frees its partitions"


def test_sigterm_stops_an_async_consumer_with_exit_code_0(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    _fill(url)
    handled: list[int] = []

    async def main() -> int:
        async with await tidings.connect_async(url) as store:
            consumer = store.consumer(
                name="c",
                source=store.category(category="work"),
                handler=lambda event: handled.append(event.position),
                poll_interval=0.05,
            )
            asyncio.get_running_loop().call_later(1.0, os.kill, os.getpid(), signal.SIGTERM)
            return await run_worker_async(consumer)

    assert asyncio.run(main()) == 0
    assert len(handled) == 10


def test_a_failing_handler_ends_the_run_with_exit_code_1(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    _fill(url)

    def fail(event: StoredEvent) -> None:
        raise RuntimeError("the handler broke")

    with tidings.connect(url) as store:
        member = store.group_member(
            group="g", source=store.category(category="work"), handler=fail, ttl=1.0
        )
        assert run_worker(member) == 1


def test_a_group_that_disagrees_ends_the_run_with_exit_code_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    with tidings.connect(url) as store:
        source = store.category(category="work")
        first = store.group_member(group="g", source=source, handler=print, partitions=2)
        timer = _signal_later(0.5)
        assert run_worker(first) == 0
        timer.join()
        other = store.group_member(group="g", source=source, handler=print, partitions=3)
        assert run_worker(other) == 2


def test_a_store_closed_under_the_worker_ends_the_run_with_exit_code_3(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    store = tidings.connect(url)
    member = store.group_member(
        group="g", source=store.category(category="work"), handler=print, ttl=1.0
    )
    threading.Timer(0.5, store.close).start()
    assert run_worker(member) == 3


@pytest.mark.parametrize("signals", [(signal.SIGINT,)])
def test_the_runner_listens_to_the_signals_it_is_given(
    tmp_path: Path, signals: tuple[int, ...]
) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    with tidings.connect(url) as store:
        member = store.group_member(
            group="g", source=store.category(category="work"), handler=print, ttl=1.0
        )
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        assert run_worker(member, signals=signals) == 0
