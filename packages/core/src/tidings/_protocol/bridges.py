"""Bridges that serve the async adapter protocol from a sync adapter.

Any sync-only adapter is served by :class:`ThreadBridge`, which runs it in a bounded
thread pool so the event loop never blocks. Adapters whose calls never block on I/O (the
in-memory one) use :class:`DirectBridge`, which calls them on the loop itself and lets
other tasks run before each call.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from tidings._model.checkpoint import Checkpoint
from tidings._model.events import StoredEvent
from tidings._model.identifiers import Identifier
from tidings._model.projection import Projection
from tidings._protocol.adapter import ProjectionStorage, StorageAdapter
from tidings._protocol.async_adapter import AsyncProjectionStorage, AsyncStorageAdapter
from tidings._protocol.capabilities import Ordering
from tidings._protocol.projection_rows import ExpectedRow
from tidings._protocol.requests import FollowPage, FollowRequest, ScanRequest, StreamBatch
from tidings._protocol.statistics import StoreStatistics
from tidings._query.model import Query

if TYPE_CHECKING:
    import asyncio

__all__ = ["DirectBridge", "ThreadBridge"]

T = TypeVar("T")
CHUNK = 500
"""Events a bridged scan moves from its worker thread per hop."""

DIRECT_CHUNK = 100
"""Events a direct scan takes between two turns of the event loop: other tasks wait for
at most this many events of each running scan."""


class _Bridge(AsyncStorageAdapter, AsyncProjectionStorage):
    """Serves the async protocol from a sync adapter through ``_call``."""

    chunk = CHUNK
    """Events a scan takes per ``_call``."""

    def __init__(self, adapter: StorageAdapter) -> None:
        self.adapter = adapter
        self.scheme = adapter.scheme  # type: ignore[misc]
        self.capabilities = adapter.capabilities
        self._projections: ProjectionStorage | None = None

    @classmethod
    def from_url(cls, url: Any, options: Any) -> NoReturn:
        raise TypeError(f"open a {cls.__name__} around a sync adapter: {cls.__name__}(adapter)")

    @property
    def ordering(self) -> Ordering:
        return self.adapter.ordering

    async def _call(self, function: Callable[..., T], *args: Any, settle: bool = True) -> T:
        """``function(*args)``; ``settle=False`` for a call that changes nothing, whose
        cancelled caller need not wait for it to finish."""
        raise NotImplementedError

    async def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        return await self._call(self.adapter.publish, batches)

    async def scan(self, request: ScanRequest) -> AsyncIterator[StoredEvent]:
        events = await self._call(self.adapter.scan, request)
        try:
            while chunk := await self._call(_take, events, self.chunk):
                for event in chunk:
                    yield event
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                await self._call(close)

    async def latest(self, target: Identifier) -> StoredEvent | None:
        return await self._call(self.adapter.latest, target)

    def projections(self) -> AsyncProjectionStorage:
        self._projections = self.adapter.projections()
        return self

    async def save(self, projection: Projection) -> None:
        await self._call(self._storage().save, projection)

    async def load(self, name: str, id: str) -> Projection | None:
        return await self._call(self._storage().load, name, id)

    async def locate(self, name: str, source: Identifier) -> Projection | None:
        return await self._call(self._storage().locate, name, source)

    async def search(self, query: Query) -> list[Projection]:
        return await self._call(self._storage().search, query)

    async def count(self, query: Query) -> int:
        return await self._call(self._storage().count, query)

    async def save_all(self, projections: Sequence[Projection]) -> None:
        await self._call(self._storage().save_all, projections)

    async def save_all_if(
        self, projections: Sequence[Projection], expected: Sequence[ExpectedRow]
    ) -> bool:
        return await self._call(self._storage().save_all_if, projections, expected)

    async def follow(self, request: FollowRequest) -> FollowPage:
        return await self._call(self.adapter.follow, request)

    async def head(self, target: Identifier) -> Checkpoint | None:
        return await self._call(self.adapter.head, target)

    async def wait_for_change(self, timeout: float) -> None:
        await self._call(self.adapter.wait_for_change, timeout)

    async def bulk_load(self, events: Sequence[StoredEvent]) -> None:
        await self._call(self.adapter.bulk_load, events)

    async def statistics(self) -> StoreStatistics:
        return await self._call(self.adapter.statistics, settle=False)

    async def initialise(self) -> None:
        await self._call(self.adapter.initialise)

    def _storage(self) -> ProjectionStorage:
        if self._projections is None:
            self._projections = self.adapter.projections()
        return self._projections

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.adapter!r})"


def _take(events: Iterator[StoredEvent], count: int) -> list[StoredEvent]:
    return list(islice(events, count))


class ThreadBridge(_Bridge):
    """Runs a sync adapter in a bounded thread pool, off the event loop.

    A cancelled call that has not started yet never runs. One that has started cannot be
    stopped in its thread, so the caller waits for it to finish before the cancellation
    is raised: when control returns, the call has settled (a publish is wholly stored or
    not at all) and it changes the store no further.
    """

    def __init__(self, adapter: StorageAdapter, *, max_workers: int = 8) -> None:
        super().__init__(adapter)
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="tidings-bridge")

    async def _call(self, function: Callable[..., T], *args: Any, settle: bool = True) -> T:
        import asyncio  # here, so that importing tidings does not import asyncio

        work = self._executor.submit(function, *args)
        waiter = asyncio.wrap_future(work)
        try:
            # Shielded: cancelling the caller must not mark the work cancelled while
            # its thread is still running it.
            return await asyncio.shield(waiter)
        except asyncio.CancelledError:
            if not work.cancel() and settle:  # already running: wait until it settles
                await _settled(waiter)
            raise

    async def wait_for_change(self, timeout: float) -> None:
        # Only a wait: a cancelled subscriber stops at once, and the thread's wait ends
        # by itself within ``timeout``.
        await self._call(self.adapter.wait_for_change, timeout, settle=False)

    async def aclose(self) -> None:
        await self._call(self.adapter.close)
        self._executor.shutdown(wait=False)


async def _settled(waiter: asyncio.Future[Any]) -> None:
    """Wait until the thread's call behind ``waiter`` is done, through any further
    cancellations: the caller is cancelled already, and it re-raises the first one."""
    import asyncio

    while not waiter.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait([waiter])
    if not waiter.cancelled():
        waiter.exception()  # retrieved: the cancelled caller never looks at the outcome


class DirectBridge(_Bridge):
    """Calls a sync adapter on the event loop: only for adapters that never block on I/O.

    Each call first lets the other tasks of the loop run (a scan does so between chunks
    of :data:`DIRECT_CHUNK` events), so a busy store never starves a loop that serves
    others. A call cancelled there has not started.
    """

    chunk = DIRECT_CHUNK

    async def _call(self, function: Callable[..., T], *args: Any, settle: bool = True) -> T:
        import asyncio

        await asyncio.sleep(0)
        return function(*args)

    async def wait_for_change(self, timeout: float) -> None:
        """The one call that blocks by design: it waits in a thread, off the loop."""
        import asyncio

        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.adapter.wait_for_change, timeout)

    async def aclose(self) -> None:
        self.adapter.close()
