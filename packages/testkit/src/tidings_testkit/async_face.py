"""Run the conformance suite against the async face of an adapter, unchanged.

:class:`BlockingAsyncAdapter` drives an :class:`~tidings.AsyncStorageAdapter` from sync
code through an event loop on its own thread. Wrapped in an ``EventStore``, every suite
test exercises the async adapter; threads in the concurrency tests become concurrent
tasks on that loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from typing import Any, NoReturn, TypeVar

import tidings
from tidings import (
    AsyncProjectionStorage,
    AsyncStorageAdapter,
    Capability,
    EventStore,
    Ordering,
    Projection,
    ProjectionStorage,
    Query,
    ScanRequest,
    StorageAdapter,
    StoredEvent,
    StreamBatch,
)
from tidings._model.identifiers import Identifier

__all__ = ["BlockingAsyncAdapter", "async_face_store"]

T = TypeVar("T")
CHUNK = 200


class _LoopThread:
    """An event loop running forever on a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class _BlockingProjections(ProjectionStorage):
    def __init__(self, loop: _LoopThread, storage: AsyncProjectionStorage) -> None:
        self._loop = loop
        self._storage = storage

    def save(self, projection: Projection) -> None:
        self._loop.run(self._storage.save(projection))

    def load(self, name: str, id: str) -> Projection | None:
        return self._loop.run(self._storage.load(name, id))

    def locate(self, name: str, source: Identifier) -> Projection | None:
        return self._loop.run(self._storage.locate(name, source))

    def search(self, query: Query) -> list[Projection]:
        return self._loop.run(self._storage.search(query))

    def count(self, query: Query) -> int:
        return self._loop.run(self._storage.count(query))


class BlockingAsyncAdapter(StorageAdapter):
    """A sync adapter whose every call runs on an async adapter, on a private loop."""

    scheme = "async-face"

    def __init__(self, open_async: Callable[[], AsyncStorageAdapter]) -> None:
        self._loop = _LoopThread()
        self.inner = self._loop.run(_call(open_async))

    @property
    def capabilities(self) -> frozenset[Capability]:  # type: ignore[override]
        return self.inner.capabilities

    @property
    def ordering(self) -> Ordering:
        return self.inner.ordering

    @classmethod
    def from_url(cls, url: Any, options: Any) -> NoReturn:
        raise TypeError("open it with async_face_store(url)")

    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        return self._loop.run(self.inner.publish(batches))

    def scan(self, request: ScanRequest) -> Iterator[StoredEvent]:
        events = self.inner.scan(request)
        try:
            while chunk := self._loop.run(_take(events, CHUNK)):
                yield from chunk
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                self._loop.run(close())

    def latest(self, target: Identifier) -> StoredEvent | None:
        return self._loop.run(self.inner.latest(target))

    def projections(self) -> ProjectionStorage:
        return _BlockingProjections(self._loop, self.inner.projections())

    def initialise(self) -> None:
        self._loop.run(self.inner.initialise())

    def close(self) -> None:
        self._loop.run(self.inner.aclose())
        self._loop.stop()

    def __repr__(self) -> str:
        return f"BlockingAsyncAdapter({self.inner!r})"


async def _call(function: Callable[[], T]) -> T:
    """Open the async adapter inside the loop, where it may bind loop-bound resources."""
    return function()


async def _take(events: AsyncIterator[StoredEvent], count: int) -> list[StoredEvent]:
    chunk: list[StoredEvent] = []
    async for event in events:
        chunk.append(event)
        if len(chunk) == count:
            break
    return chunk


def async_face_store(url: str, **options: object) -> EventStore:
    """A sync ``EventStore`` whose adapter is the async face of ``url``'s adapter."""
    registry = tidings.default_registry()
    return EventStore(BlockingAsyncAdapter(lambda: registry.open_async(url, **options)))
