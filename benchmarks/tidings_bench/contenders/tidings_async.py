"""tidings' async face: ``await tidings.connect_async(url)``, publishing from asyncio tasks.

The contender owns an event loop (an :class:`asyncio.Runner`) that runs only while a
call is in progress; the store and its connection pool live on that loop between calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial

import tidings

from ..racing import race_tasks
from ..workload import CATEGORY, Write
from .base import Contender
from .tidings_store import TidingsWrite, new_events

__all__ = ["POOL_MAX_SIZE", "AsyncTidingsContender"]

POOL_MAX_SIZE = 10
"""The store's ``pool_max_size``: the adapter's default, which its README says suits 50
tasks (the rest wait their turn for a connection)."""


class AsyncTidingsContender(Contender[TidingsWrite]):
    """A tidings store opened with :func:`tidings.connect_async`."""

    label = "tidings-async"
    asynchronous = True

    def __init__(self, url: str) -> None:
        self._loop = asyncio.Runner()
        self.store = self._loop.run(tidings.connect_async(url, pool_max_size=POOL_MAX_SIZE))

    def prepare(self, writes: Sequence[Write]) -> list[TidingsWrite]:
        return new_events(writes)

    def append(self, prepared: TidingsWrite) -> None:
        self._loop.run(self._publish(prepared))

    def append_concurrently(self, plans: Sequence[Sequence[TidingsWrite]]) -> float:
        """Each plan in a task of its own, all on this store, started at once."""
        return self._loop.run(race_tasks([partial(self._publish_all, plan) for plan in plans]))

    async def _publish_all(self, plan: Sequence[TidingsWrite]) -> None:
        for prepared in plan:
            await self._publish(prepared)

    async def _publish(self, prepared: TidingsWrite) -> None:
        stream, events = prepared
        await self.store.stream(category=CATEGORY, stream=stream).publish(events=events)

    def close(self) -> None:
        try:
            self._loop.run(self.store.aclose())
        finally:
            self._loop.close()
