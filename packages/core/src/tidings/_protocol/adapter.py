"""The storage adapter protocol that every backend implements."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

from tidings.errors import UnsupportedCapabilityError
from tidings._model.events import StoredEvent
from tidings._model.identifiers import Identifier
from tidings._model.projection import Projection
from tidings._protocol.publishing import StreamBatch
from tidings._query.model import Query
from tidings._plugins.url import URL

if TYPE_CHECKING:
    from tidings._protocol.async_adapter import AsyncStorageAdapter

__all__ = [
    "Capability",
    "NoOptions",
    "Ordering",
    "ProjectionStorage",
    "ScanRequest",
    "StorageAdapter",
]


class Capability(enum.Enum):
    """What an adapter can do beyond the core contract; the testkit gates tests on these."""

    PERSISTENT = "persistent"
    """Events survive closing the store and opening it again."""
    MULTI_PROCESS = "multi-process"
    """Several processes may write to the same store at once."""
    ORDERING_LEVELS = "ordering-levels"
    """The ordering guarantee can be chosen per store (log, category or stream)."""
    NATIVE_ASYNC = "native-async"
    """The adapter has a native async implementation."""
    PROJECTION_STORAGE = "projection-storage"
    """The adapter stores and searches projections."""
    CHANGE_NOTIFICATIONS = "change-notifications"
    """The adapter can notify readers of new events."""


class Ordering(enum.Enum):
    """The scope at which writes are serialised (SEMANTICS rule 12).

    A reader polling "after sequence number N" never misses an event within a scope at
    or below this level: with ``LOG`` that holds for every scan.
    """

    LOG = "log"
    CATEGORY = "category"
    STREAM = "stream"


@dataclass(frozen=True, slots=True)
class NoOptions:
    """The options of an adapter that takes none."""


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """A validated scan: events of ``target`` after a sequence number, optionally filtered."""

    target: Identifier
    after: int | None = None
    limit: int | None = None
    names: frozenset[str] | None = None


class ProjectionStorage(ABC):
    """Stored projections, keyed by (name, id). Queries arrive validated; every adapter
    must give the results :mod:`tidings._query.evaluate` gives."""

    @abstractmethod
    def save(self, projection: Projection) -> None:
        """Insert or replace the projection with the same (name, id)."""

    @abstractmethod
    def load(self, name: str, id: str) -> Projection | None:
        """The projection stored under (name, id), or None."""

    @abstractmethod
    def locate(self, name: str, source: Identifier) -> Projection | None:
        """The projection of that name made from ``source`` (the lowest id if several)."""

    @abstractmethod
    def search(self, query: Query) -> list[Projection]:
        """The projections matching ``query``, sorted and paged as it says."""

    @abstractmethod
    def count(self, query: Query) -> int:
        """How many projections match the query's name and filters (paging ignored)."""


class StorageAdapter(ABC):
    """A storage backend. The store validates input; adapters store and scan.

    Subclasses declare ``scheme``, ``capabilities`` and ``options_type`` (a frozen
    dataclass whose fields are the adapter's typed options), and translate driver
    errors into :mod:`tidings.errors`, chaining the cause.
    """

    scheme: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    options_type: ClassVar[type[Any]] = NoOptions

    @property
    def ordering(self) -> Ordering:
        """The ordering guarantee this store gives."""
        return Ordering.LOG

    @classmethod
    @abstractmethod
    def from_url(cls, url: URL, options: Any) -> Self:
        """Open the adapter for a parsed config string and its typed options."""

    @classmethod
    def open_async(cls, url: URL, options: Any) -> AsyncStorageAdapter:
        """The async face of this adapter. By default the sync adapter runs in a bounded
        thread pool; adapters with a native async implementation override this."""
        from tidings._protocol.async_adapter import ThreadBridge

        return ThreadBridge(cls.from_url(url, options))

    @abstractmethod
    def publish(self, batches: Sequence[StreamBatch]) -> list[list[StoredEvent]]:
        """Append every batch atomically, all or nothing, and return the stored events
        per batch. Each batch's condition is checked inside the write's serialisation."""

    @abstractmethod
    def scan(self, request: ScanRequest) -> Iterator[StoredEvent]:
        """Lazily yield the matching events in ascending sequence number order."""

    @abstractmethod
    def latest(self, target: Identifier) -> StoredEvent | None:
        """The event with the highest sequence number in ``target``, or None."""

    def projections(self) -> ProjectionStorage:
        """The adapter's projection storage; adapters with
        :attr:`Capability.PROJECTION_STORAGE` override this."""
        raise UnsupportedCapabilityError(
            f"the {self.scheme}:// adapter does not store projections "
            f"(it lacks the {Capability.PROJECTION_STORAGE.value!r} capability)"
        )

    def initialise(self) -> None:  # noqa: B027 - optional hook
        """Create the schema now rather than on first use (``tidings init URL``).
        Idempotent; adapters without a schema do nothing."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and files. Idempotent."""
