"""The testkit's async face runs each store on a loop of its own thread: when the store
closes, a call still running there must end, and its cleanup must run (a task dropped
with its loop would leave its connections for the garbage collector, and the
ResourceWarning would fail some later test)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tidings import StoreClosedError
from tidings_testkit.async_face import _LoopThread


def test_a_call_still_running_when_the_loop_stops_is_cancelled_and_cleans_up() -> None:
    loop = _LoopThread()
    started = threading.Event()
    cleaned = threading.Event()

    async def stuck() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0)  # async cleanup, as closing a connection is
            cleaned.set()

    raised: list[BaseException] = []

    def caller() -> None:
        with pytest.raises(StoreClosedError) as info:
            loop.run(stuck())
        raised.append(info.value)

    thread = threading.Thread(target=caller, daemon=True)
    thread.start()
    assert started.wait(10), "the call never started on the loop"
    loop.stop(timeout=0.2)
    thread.join(10)
    assert not thread.is_alive(), "the caller still waits on a stopped loop"
    assert cleaned.is_set(), "the call's cleanup never ran"
    assert len(raised) == 1
