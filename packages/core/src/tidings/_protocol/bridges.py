"""Bridges that serve the async adapter protocol from a sync adapter.

Any sync-only adapter is served by :class:`ThreadBridge`, which runs it in a bounded
thread pool so the event loop never blocks. Adapters whose calls never block on I/O (the
in-memory one) use :class:`DirectBridge`, which calls them on the loop itself.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import Any, NoReturn, TypeVar

from tidings._model.events import StoredEvent
from tidings._model.identifiers import Identifier
from tidings._model.projection import Projection
from tidings._protocol.adapter import ProjectionStorage, StorageAdapter
from tidings._protocol.async_adapter import AsyncProjectionStorage, AsyncStorageAdapter
from tidings._protocol.capabilities import Ordering
from tidings._protocol.requests import ScanRequest, StreamBatch
from tidings._query.model import Query

__all__ = ["DirectBridge", "ThreadBridge"]

T = TypeVar("T")
CHUNK = 500
"""Events a bridged scan moves from its worker thread per hop."""


class _Bridge(AsyncStorageAdapter, AsyncProjectionStorage):
    """Serves the async protocol from a sync adapter through ``_call``."""

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

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        raise NotImplementedError

    async def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        return await self._call(self.adapter.publish, batches)

    async def scan(self, request: ScanRequest) -> AsyncIterator[StoredEvent]:
        events = await self._call(self.adapter.scan, request)
        try:
            while chunk := await self._call(_take, events, CHUNK):
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

    A cancelled call stops waiting at once; the worker finishes the sync call, which is
    atomic, so a cancelled publish leaves the whole batch or nothing.
    """

    def __init__(self, adapter: StorageAdapter, *, max_workers: int = 8) -> None:
        super().__init__(adapter)
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="tidings-bridge")

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        import asyncio  # here, so that importing tidings does not import asyncio

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(function, *args))

    async def aclose(self) -> None:
        await self._call(self.adapter.close)
        self._executor.shutdown(wait=False)


class DirectBridge(_Bridge):
    """Calls a sync adapter on the event loop: only for adapters that never block on I/O."""

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        return function(*args)

    async def aclose(self) -> None:
        self.adapter.close()
