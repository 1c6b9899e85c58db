"""The async storage adapter protocol, and bridges that serve it from a sync adapter.

PostgreSQL implements :class:`AsyncStorageAdapter` natively. Any sync-only adapter is
served by :class:`ThreadBridge`, which runs it in a bounded thread pool so the event
loop never blocks; adapters whose calls never block on I/O (the in-memory one) use
:class:`DirectBridge`, which calls them on the loop itself.
"""

from __future__ import annotations

import asyncio
import functools
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import Any, TypeVar

from tidings._protocol.adapter import Capability, Ordering, ProjectionStorage, ScanRequest, StorageAdapter
from tidings._model.events import StoredEvent
from tidings._model.identifiers import Identifier
from tidings._model.projection import Projection
from tidings._protocol.publishing import StreamBatch
from tidings._query.model import Query

__all__ = [
    "AsyncProjectionStorage",
    "AsyncStorageAdapter",
    "DirectBridge",
    "ThreadBridge",
]

T = TypeVar("T")
CHUNK = 500
"""Events a bridged scan moves from its worker thread per hop."""


class AsyncProjectionStorage(ABC):
    """The async twin of :class:`~tidings._protocol.adapter.ProjectionStorage`."""

    @abstractmethod
    async def save(self, projection: Projection) -> None: ...

    @abstractmethod
    async def load(self, name: str, id: str) -> Projection | None: ...

    @abstractmethod
    async def locate(self, name: str, source: Identifier) -> Projection | None: ...

    @abstractmethod
    async def search(self, query: Query) -> list[Projection]: ...

    @abstractmethod
    async def count(self, query: Query) -> int: ...


class AsyncStorageAdapter(ABC):
    """The async twin of :class:`~tidings._protocol.adapter.StorageAdapter`, with the same contract.

    ``scan`` must release its connection when the iterator is closed or abandoned, and a
    cancelled ``publish`` must leave either the whole batch or nothing.
    """

    capabilities: frozenset[Capability] = frozenset()
    ordering: Ordering = Ordering.LOG

    @abstractmethod
    async def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]: ...

    @abstractmethod
    def scan(self, request: ScanRequest) -> AsyncIterator[StoredEvent]: ...

    @abstractmethod
    async def latest(self, target: Identifier) -> StoredEvent | None: ...

    @abstractmethod
    def projections(self) -> AsyncProjectionStorage: ...

    async def initialise(self) -> None:  # noqa: B027 - optional hook
        """Create the schema now (idempotent)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release pools and files. Idempotent."""


class _Bridge(AsyncStorageAdapter, AsyncProjectionStorage):
    """Serves the async protocol from a sync adapter through ``_call``."""

    def __init__(self, adapter: StorageAdapter) -> None:
        self.adapter = adapter
        self.capabilities = adapter.capabilities
        self.ordering = adapter.ordering
        self._projections: ProjectionStorage | None = None

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
