"""The storage adapter protocol that every backend implements.

The async module is the one source of both faces; the sync module is generated from it
by ``tools/unasync.py``. The two protocols have the same methods and the same contract;
the sync one is what adapter authors implement first, and any sync adapter gets an async
face for free through :class:`~tidings.adapters.ThreadBridge`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar, Self

from tidings._model.checkpoint import Checkpoint
from tidings._model.events import StoredEvent
from tidings._model.identifiers import Identifier
from tidings._model.projection import Projection
from tidings._plugins.url import URL
from tidings._protocol.capabilities import Capability, Ordering
from tidings._protocol.options import NoOptions
from tidings._protocol.projection_rows import ExpectedRow
from tidings._protocol.requests import FollowPage, FollowRequest, ScanRequest, StreamBatch
from tidings._protocol.statistics import StoreStatistics
from tidings._query.model import Query
from tidings.errors import UnsupportedCapabilityError

# sync: import time
# sync: from typing import TYPE_CHECKING
# sync:
# sync: if TYPE_CHECKING:
# sync:     from tidings._protocol.async_adapter import AsyncStorageAdapter

__all__ = ["AsyncProjectionStorage", "AsyncStorageAdapter"]


class AsyncProjectionStorage(ABC):
    """Stored projections, keyed by (name, id).

    Queries arrive validated; every adapter must give the results that
    :func:`tidings.adapters.evaluate_query` gives.
    """

    @abstractmethod
    async def save(self, projection: Projection) -> None:
        """Insert or replace the projection with the same (name, id)."""

    @abstractmethod
    async def load(self, name: str, id: str) -> Projection | None:
        """The projection stored under (name, id), or None."""

    @abstractmethod
    async def locate(self, name: str, source: Identifier) -> Projection | None:
        """The projection of that name made from ``source`` (the lowest id if several)."""

    @abstractmethod
    async def search(self, query: Query) -> list[Projection]:
        """The projections matching ``query``, sorted and paged as it says."""

    @abstractmethod
    async def count(self, query: Query) -> int:
        """How many projections match the query's name and filters (paging ignored)."""

    async def save_all(self, projections: Sequence[Projection]) -> None:
        """Insert or replace every projection in one atomic step: all or none.

        Projection consumers save their projection and their checkpoint this way, so a
        crash between the two can never apply an event twice or lose one (contract rule
        27). Adapters that cannot do it atomically leave this default, which refuses.
        """
        raise UnsupportedCapabilityError(
            f"{type(self).__name__} cannot save several projections atomically, "
            "which exactly-once projection consumers need"
        )

    async def save_all_if(
        self, projections: Sequence[Projection], expected: Sequence[ExpectedRow]
    ) -> bool:
        """Compare-and-set: if every condition in ``expected`` holds, save every
        projection as :meth:`save_all` does and return True; otherwise save nothing and
        return False. The check and the save are one atomic step: no other
        ``save_all_if`` on the same rows may come between them.

        Optional. Consumer groups need it: their partition leases are rows written this
        way, and a member saves its checkpoints (and projections) only if it still holds
        its leases, so a member that lost a lease while paused cannot write (contract
        rule 31). Adapters that cannot do it leave this default, which refuses.
        """
        raise UnsupportedCapabilityError(
            f"{type(self).__name__} cannot compare and save projections atomically, "
            "which consumer groups need"
        )


class AsyncStorageAdapter(ABC):
    """A storage backend. The store validates input; adapters store and scan.

    Subclasses declare ``scheme``, ``capabilities`` and ``options_type`` (a frozen
    dataclass whose fields are the adapter's typed options), and translate driver errors
    into :mod:`tidings.errors`, chaining the cause. ``capabilities`` is read from the
    instance, so one adapter class may open stores that can do different things (an
    in-memory SQLite database is not persistent).
    """

    scheme: ClassVar[str]
    capabilities: frozenset[Capability] = frozenset()
    options_type: ClassVar[type[Any]] = NoOptions
    drivers: ClassVar[frozenset[str]] = frozenset()
    """The driver suffixes ``scheme+driver://`` accepts; any other is refused before the
    adapter is opened, so ``postgresql+nonsense://`` never passes silently."""

    @property
    def ordering(self) -> Ordering:
        """The ordering guarantee this store gives (contract rule 12)."""
        return Ordering.LOG

    @classmethod
    @abstractmethod
    def from_url(cls, url: URL, options: Any) -> Self:
        """Open the adapter for a parsed config string and its typed options."""

    # sync: @classmethod
    # sync: def open_async(cls, url: URL, options: Any) -> AsyncStorageAdapter:
    # sync:     """The async face of this adapter. By default the sync adapter runs in a
    # sync:     bounded thread pool; adapters with a native async face override this."""
    # sync:     from tidings._protocol.bridges import ThreadBridge
    # sync:
    # sync:     return ThreadBridge(cls.from_url(url, options))

    @abstractmethod
    async def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        """Append every batch atomically, all or nothing, and return the stored events
        per batch. Each batch's condition is checked inside the write's serialisation.

        The algorithm, per batch and in one atomic step: match a retry first
        (:func:`~tidings.adapters.match_retry`); an exact retry returns the stored events
        and skips its condition; otherwise check the condition against the stream's last
        event, even for an empty batch; then append with contiguous positions, new
        sequence numbers and one ``recorded_at`` for the whole publish.
        """

    @abstractmethod
    def scan(self, request: ScanRequest) -> AsyncIterator[StoredEvent]:
        """Lazily yield the matching events in ascending sequence number order, reading
        page by page; closing the iterator releases whatever it holds."""

    @abstractmethod
    async def latest(self, target: Identifier) -> StoredEvent | None:
        """The event with the highest sequence number in ``target``, or None."""

    async def follow(self, request: FollowRequest) -> FollowPage:
        """The next page of a subscription, in delivery order (contract rule 24).

        It must never skip an event that commits later: an event may be delivered only
        once no event that commits later can come before it. The default reads the
        scope after the checkpoint's sequence number, which is right for an adapter
        whose sequence numbers become visible in order (one that serialises every write
        at the level of the log); others override it.
        """
        after = None if request.after is None else request.after.sequence_number
        scan = self.scan(ScanRequest(request.target, after, request.limit, request.names))
        events = [event async for event in scan]  # async-only
        # sync: events = list(scan)
        return FollowPage.in_sequence_order(events)

    async def head(self, target: Identifier) -> Checkpoint | None:
        """Where a subscription that starts at the end of ``target`` begins: after every
        event that :meth:`follow` could deliver now (None: from the beginning)."""
        last = await self.latest(target)
        return None if last is None else Checkpoint.after_sequence_number(last.sequence_number)

    async def wait_for_change(self, timeout: float) -> None:
        """Return once new events may have been committed, or after ``timeout`` seconds.

        Subscribers call it when they have caught up. The default sleeps, so they poll
        every ``timeout``; adapters that can hear of commits return sooner. Returning
        early without a change is always allowed.
        """
        import asyncio  # async-only

        await asyncio.sleep(timeout)  # async-only
        # sync: time.sleep(timeout)

    def projections(self) -> AsyncProjectionStorage:
        """The adapter's projection storage; adapters with
        :attr:`Capability.PROJECTION_STORAGE` override this."""
        raise UnsupportedCapabilityError(
            f"the {self.scheme}:// adapter does not store projections "
            f"(it lacks the {Capability.PROJECTION_STORAGE.value!r} capability)"
        )

    async def initialise(self) -> None:  # noqa: B027 - optional hook
        """Create the schema now rather than on first use (``tidings init``).
        Idempotent; adapters without a schema do nothing."""

    async def bulk_load(self, events: Sequence[StoredEvent]) -> None:
        """Append events copied from another store, in one atomic step: optional, for
        adapters with :attr:`Capability.BULK_LOAD` (``tidings copy`` uses it).

        Each event keeps its id, name, category, stream, position, payload, metadata
        and all three times, ``recorded_at`` included; the store assigns new sequence
        numbers in the order given, so the log order is kept. Every event must continue
        its stream (its position is one past the stream's last, in the store or earlier
        in ``events``), else :class:`~tidings.errors.UnmetWriteConditionError`; an id the
        store holds raises :class:`~tidings.errors.DuplicateEventIdError`. Either way
        nothing is written. It excludes other writers as a log-level publish does. Use
        the backend's fastest path (PostgreSQL: ``COPY``); the default refuses.
        """
        raise UnsupportedCapabilityError(
            f"the {self.scheme}:// adapter cannot bulk-load events "
            f"(it lacks the {Capability.BULK_LOAD.value!r} capability)"
        )

    async def statistics(self) -> StoreStatistics:
        """What the adapter can tell about its store without reading every event: counts,
        the schema version and the size on disk (``tidings stats``). Never creates or
        changes anything. The default knows nothing; the caller counts by scanning."""
        return StoreStatistics()

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections and files. Idempotent."""
