"""The async face of the store: the same names and semantics as :mod:`tidings._api.store`.

Validation comes from :mod:`tidings._api.requests`, so both faces reject exactly the same
input, before any I/O.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Self

from tidings._protocol.async_adapter import AsyncStorageAdapter
from tidings._model.conditions import WriteCondition
from tidings._model.events import NewEvent, StoredEvent
from tidings._model.identifiers import CategoryIdentifier, Identifier, LogIdentifier, StreamIdentifier
from tidings._api.requests import Batch, category_batches, scan_request, stream_batch
from tidings._api.store_base import StoreBase

if TYPE_CHECKING:
    from tidings._api.projection_store import AsyncProjectionStore

__all__ = [
    "AsyncCategoryScope",
    "AsyncEventStore",
    "AsyncLogScope",
    "AsyncScope",
    "AsyncStreamScope",
]


class AsyncEventStore(StoreBase[AsyncStorageAdapter]):
    """An event store for asyncio code. Open it with ``await tidings.connect_async(url)``
    and close it with ``await store.aclose()`` or ``async with``."""

    adapter_type = AsyncStorageAdapter

    @property
    def projections(self) -> AsyncProjectionStore:
        """Stored projections, with awaitable methods."""
        from tidings._api.projection_store import AsyncProjectionStore

        return AsyncProjectionStore(self.adapter.projections())

    def stream(self, *, category: str, stream: str) -> AsyncStreamScope:
        return AsyncStreamScope(self, StreamIdentifier(category, stream))

    def category(self, *, category: str) -> AsyncCategoryScope:
        return AsyncCategoryScope(self, CategoryIdentifier(category))

    def log(self) -> AsyncLogScope:
        return AsyncLogScope(self, LogIdentifier())

    async def aclose(self) -> None:
        """Close the adapter's pools and files. Idempotent."""
        if self._begin_close():
            await self._adapter.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncScope:
    """Reading shared by every async scope."""

    __slots__ = ("_store", "identifier")

    def __init__(self, store: AsyncEventStore, identifier: Identifier) -> None:
        self._store = store
        self.identifier: Identifier = identifier

    async def iterate(
        self,
        *,
        after: int | None = None,
        limit: int | None = None,
        names: Iterable[str] | None = None,
    ) -> AsyncIterator[StoredEvent]:
        """Lazily yield events in ascending sequence number order (``async for``)."""
        request = scan_request(self.identifier, after, limit, names)
        if request.limit == 0:
            return
        events = self._store.adapter.scan(request)
        try:
            async for event in events:
                yield event
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()

    async def read(
        self,
        *,
        after: int | None = None,
        limit: int | None = None,
        names: Iterable[str] | None = None,
    ) -> list[StoredEvent]:
        """The events of :meth:`iterate`, as a list."""
        return [event async for event in self.iterate(after=after, limit=limit, names=names)]

    async def latest(self) -> StoredEvent | None:
        """The event with the highest sequence number in this scope, or None."""
        return await self._store.adapter.latest(self.identifier)

    def __aiter__(self) -> AsyncIterator[StoredEvent]:
        return self.iterate()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.identifier!r})"


class AsyncLogScope(AsyncScope):
    __slots__ = ()


class AsyncCategoryScope(AsyncScope):
    __slots__ = ()
    identifier: CategoryIdentifier

    def stream(self, stream: str) -> AsyncStreamScope:
        return AsyncStreamScope(self._store, StreamIdentifier(self.identifier.category, stream))

    async def publish(
        self, *, streams: Mapping[str, Sequence[NewEvent] | Batch]
    ) -> dict[str, list[StoredEvent]]:
        """Publish to several streams of this category atomically (see the sync face)."""
        batches = category_batches(self.identifier, streams)
        results = await self._store.adapter.publish(batches)
        return {batch.stream.stream: result for batch, result in zip(batches, results)}


class AsyncStreamScope(AsyncScope):
    __slots__ = ()
    identifier: StreamIdentifier

    async def publish(
        self, *, events: Sequence[NewEvent], condition: WriteCondition | None = None
    ) -> list[StoredEvent]:
        """Append ``events`` atomically if ``condition`` holds (see the sync face)."""
        batch = stream_batch(self.identifier, events, condition)
        return (await self._store.adapter.publish([batch]))[0]
