# Generated from async_store.py by tools/unasync.py: do not edit.
"""The application API: an event store with its log, category and stream scopes.

The async module is the one source of both faces; the sync module is generated from it
by ``tools/unasync.py``, so the two stores cannot drift apart
Arguments are validated by :mod:`tidings._api.arguments`, before any I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, overload

from tidings._api.arguments import Batch, category_batches, scan_request, stream_batch
from tidings._api.store_base import StoreBase
from tidings._api.subscription import Subscription, TypedSubscription
from tidings._api.subscription_arguments import Start, subscription_arguments
from tidings._model.conditions import WriteCondition
from tidings._model.events import StoredEvent
from tidings._model.identifiers import (
    CategoryIdentifier,
    Identifier,
    LogIdentifier,
    StreamIdentifier,
)
from tidings._protocol.adapter import StorageAdapter
from tidings._protocol.requests import ScanRequest
from tidings._typed.reading import typed_reader
from tidings._typed.registry import EventTypes, OnUnknown, TypedEvent

if TYPE_CHECKING:
    from tidings._api.consumer import Consumer, ProjectionConsumer
    from tidings._api.consuming import RetryPolicy
    from tidings._api.group import GroupMember
    from tidings._api.projection_store import ProjectionStore
    from tidings._api.statuses import ConsumerStatus
    from tidings._model.checkpoint import Checkpoint
    from tidings._model.projection import Projector

__all__ = [
    "CategoryScope",
    "EventStore",
    "LogScope",
    "Scope",
    "StreamScope",
]


class EventStore(StoreBase[StorageAdapter]):
    """An append-only log of immutable events, grouped as log → category → stream.

    Safe to share between threads (and, on the async face, between tasks). Use it as a
    context manager, or call :meth:`close`, to release the adapter's connections and
    files. Open one with :func:`tidings.connect` (or ``await tidings.connect``).
    """

    adapter_type = StorageAdapter

    @property
    def projections(self) -> ProjectionStore:
        """Stored projections: save, load, search and resume from snapshots.

        Raises :class:`~tidings.UnsupportedCapabilityError` when the adapter lacks
        :attr:`~tidings.Capability.PROJECTION_STORAGE`.
        """
        from tidings._api.projection_store import ProjectionStore

        return ProjectionStore(self.adapter.projections())

    def stream(self, *, category: str, stream: str) -> StreamScope:
        """The scope of one stream."""
        return StreamScope(self, StreamIdentifier(category, stream))

    def category(self, *, category: str) -> CategoryScope:
        """The scope of one category."""
        return CategoryScope(self, CategoryIdentifier(category))

    def log(self) -> LogScope:
        """The scope of every event in the store."""
        return LogScope(self, LogIdentifier())

    def consumer(
        self,
        *,
        name: str,
        source: Scope,
        handler: Callable[[StoredEvent], Any],
        names: Iterable[str] | None = None,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        retry: RetryPolicy | None = None,
    ) -> Consumer:
        """A durable, at-least-once consumer of ``source`` named ``name``: its
        checkpoint is kept in this store (which needs projection storage)."""
        from tidings._api.consumer import Consumer

        return Consumer(
            self,
            name=name,
            source=source,
            handler=handler,
            names=names,
            batch_size=batch_size,
            poll_interval=poll_interval,
            retry=retry,
        )

    def projection_consumer(
        self,
        *,
        name: str,
        source: Scope,
        projector: Projector,
        id: str | None = None,
        batch_size: int = 100,
        poll_interval: float = 1.0,
    ) -> ProjectionConsumer:
        """A consumer that keeps ``projector``'s projection of ``source`` up to date
        exactly once, saving projection and checkpoint in one atomic step."""
        from tidings._api.consumer import ProjectionConsumer

        return ProjectionConsumer(
            self,
            name=name,
            source=source,
            projector=projector,
            id=id,
            batch_size=batch_size,
            poll_interval=poll_interval,
        )

    def group_member(
        self,
        *,
        group: str,
        source: Scope,
        handler: Callable[[StoredEvent], Any] | None = None,
        projector: Projector | None = None,
        partitions: int = 16,
        ttl: float = 10.0,
        member: str | None = None,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        retry: RetryPolicy | None = None,
    ) -> GroupMember:
        """A member of the consumer group ``group``, which shares ``source`` (a category
        or the log) among its members: give a ``handler`` (at least once) or a
        ``projector`` (exactly once, one projection per stream). Needs an adapter whose
        projection storage offers ``save_all_if``."""
        from tidings._api.group import GroupMember

        return GroupMember(
            self,
            group=group,
            source=source,
            handler=handler,
            projector=projector,
            partitions=partitions,
            ttl=ttl,
            member=member,
            batch_size=batch_size,
            poll_interval=poll_interval,
            retry=retry,
        )

    def consumers(self) -> list[ConsumerStatus]:
        """Every consumer and consumer group kept in this store, with its checkpoint,
        its lag, its parked events and, for a group, its members and partitions."""
        from tidings._api.operations import consumer_statuses

        return consumer_statuses(self)

    def reset_consumer(self, *, name: str, to: Start) -> Checkpoint:
        """Move the checkpoint of consumer or group ``name`` to ``"beginning"``,
        ``"end"`` or a checkpoint, and return it. Stop it first; a group refuses while
        it has live members."""
        from tidings._api.operations import reset_checkpoint

        return reset_checkpoint(self, name, to)

    def close(self) -> None:
        """Release the adapter's connections and files. Idempotent."""
        if self._begin_close():
            self._adapter.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Scope:
    """Reading shared by every scope: lazy scans, lists and ``latest``."""

    __slots__ = ("_store", "identifier")

    def __init__(self, store: EventStore, identifier: Identifier) -> None:
        self._store = store
        self.identifier: Identifier = identifier

    @overload
    def iterate(
        self,
        *,
        after: int | None = None,
        limit: int | None = None,
        names: Iterable[str] | None = None,
        types: None = None,
        on_unknown: OnUnknown = "raise",
    ) -> Iterator[StoredEvent]: ...
    @overload
    def iterate(
        self,
        *,
        after: int | None = None,
        limit: int | None = None,
        names: Iterable[str] | None = None,
        types: EventTypes,
        on_unknown: Literal["raise"] = "raise",
    ) -> Iterator[TypedEvent[Any]]: ...
    @overload
    def iterate(
        self,
        *,
        after: int | None = None,
        limit: int | None = None,
        names: Iterable[str] | None = None,
        types: EventTypes,
        on_unknown: Literal["untyped"],
    ) -> Iterator[TypedEvent[Any] | StoredEvent]: ...

    def iterate(
        self,
        *,
        after: int | None = None,
        limit: int | None = None,
        names: Iterable[str] | None = None,
        types: EventTypes | None = None,
        on_unknown: OnUnknown = "raise",
    ) -> Iterator[Any]:
        """Lazily yield events in ascending sequence number order, page by page.

        ``after`` keeps events with a sequence number strictly greater than it,
        ``limit`` caps how many are returned and ``names`` keeps only those event names.
        With ``types`` (an :class:`~tidings.EventTypes` registry), each event comes as a
        :class:`~tidings.TypedEvent`; an unregistered name raises, or with
        ``on_unknown="untyped"`` comes as the stored event.
        Arguments are checked now; the store is read as the iterator advances.
        """
        return self._events(after, limit, names, types, on_unknown)

    def _events(
        self,
        after: int | None,
        limit: int | None,
        names: Iterable[str] | None,
        types: EventTypes | None,
        on_unknown: OnUnknown,
    ) -> Iterator[Any]:
        request = scan_request(self.identifier, after, limit, names)
        reader = None if types is None else typed_reader(types, on_unknown)
        events = _scan(self._store.adapter, request)
        return events if reader is None else _typed(events, reader)

    @overload
    def read(
        self,
        *,
        after: int | None = None,
        limit: int | None = None,
        names: Iterable[str] | None = None,
        types: None = None,
        on_unknown: OnUnknown = "raise",
    ) -> list[StoredEvent]: ...
    @overload
    def read(
        self,
        *,
        after: int | None = None,
        limit: int | None = None,
        names: Iterable[str] | None = None,
        types: EventTypes,
        on_unknown: Literal["raise"] = "raise",
    ) -> list[TypedEvent[Any]]: ...
    @overload
    def read(
        self,
        *,
        after: int | None = None,
        limit: int | None = None,
        names: Iterable[str] | None = None,
        types: EventTypes,
        on_unknown: Literal["untyped"],
    ) -> list[TypedEvent[Any] | StoredEvent]: ...

    def read(
        self,
        *,
        after: int | None = None,
        limit: int | None = None,
        names: Iterable[str] | None = None,
        types: EventTypes | None = None,
        on_unknown: OnUnknown = "raise",
    ) -> list[Any]:
        """The events of :meth:`iterate`, as a list."""
        events = self._events(after, limit, names, types, on_unknown)
        return list(events)

    def latest(self) -> StoredEvent | None:
        """The event with the highest sequence number in this scope, or None."""
        return self._store.adapter.latest(self.identifier)

    @overload
    def subscribe(
        self,
        *,
        start: Start = "beginning",
        names: Iterable[str] | None = None,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        until_caught_up: bool = False,
        types: None = None,
        on_unknown: OnUnknown = "raise",
    ) -> Subscription: ...
    @overload
    def subscribe(
        self,
        *,
        start: Start = "beginning",
        names: Iterable[str] | None = None,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        until_caught_up: bool = False,
        types: EventTypes,
        on_unknown: OnUnknown = "raise",
    ) -> TypedSubscription: ...

    def subscribe(
        self,
        *,
        start: Start = "beginning",
        names: Iterable[str] | None = None,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        until_caught_up: bool = False,
        types: EventTypes | None = None,
        on_unknown: OnUnknown = "raise",
    ) -> Subscription | TypedSubscription:
        """Follow this scope: its events in delivery order from ``start``, then live.

        ``start`` is ``"beginning"``, ``"end"`` (after every event deliverable now) or
        a checkpoint to resume after. Events are read ``batch_size`` at a time when the
        subscriber asks for them; once caught up, the subscription waits for a commit,
        and at most ``poll_interval`` seconds. With ``until_caught_up`` the iteration
        ends when nothing is left instead of waiting. Per stream, events come in
        position order, and no committed event is ever skipped (contract rule 24).
        With ``types``, events come as :class:`~tidings.TypedEvent` (see :meth:`iterate`).
        """
        arguments = subscription_arguments(self.identifier, start, names, batch_size, poll_interval)
        reader = None if types is None else typed_reader(types, on_unknown)
        adapter = self._store.adapter
        after = arguments.start
        if after == "end":
            after = adapter.head(self.identifier)
        subscription = Subscription(
            self._store,
            self.identifier,
            after=after,
            names=arguments.names,
            batch_size=arguments.batch_size,
            poll_interval=arguments.poll_interval,
            until_caught_up=until_caught_up,
        )
        return subscription if reader is None else TypedSubscription(subscription, reader)

    def __iter__(self) -> Iterator[StoredEvent]:
        return self.iterate()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.identifier!r})"


def _scan(adapter: StorageAdapter, request: ScanRequest) -> Iterator[StoredEvent]:
    """The adapter's scan, closed as soon as the caller closes or abandons the iterator."""
    if request.limit == 0:
        return
    events = adapter.scan(request)
    try:
        yield from events
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()


def _typed(events: Iterator[StoredEvent], reader: Callable[[StoredEvent], Any]) -> Iterator[Any]:
    """``events`` read through ``reader``, closed as soon as the caller closes."""
    try:
        yield from map(reader, events)
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()


class LogScope(Scope):
    """Every event in the store."""

    __slots__ = ()


class CategoryScope(Scope):
    """The events of one category; publishes to several of its streams atomically."""

    __slots__ = ()
    identifier: CategoryIdentifier

    def stream(self, stream: str) -> StreamScope:
        """The scope of one stream in this category."""
        return StreamScope(self._store, StreamIdentifier(self.identifier.category, stream))

    def publish(
        self, *, streams: Mapping[str, Sequence[Any] | Batch], types: EventTypes | None = None
    ) -> dict[str, list[StoredEvent]]:
        """Publish to several streams of this category in one atomic write.

        Each value is the stream's events, or a :class:`Batch` with its own condition.
        If any condition fails, nothing from any stream is written. Events are
        :class:`NewEvent` or instances of types registered in ``types`` (by default, the
        registry :func:`~tidings.event_type` fills).
        """
        batches = category_batches(self.identifier, streams, types)
        results = self._store.adapter.publish(batches)
        return {batch.stream.stream: result for batch, result in zip(batches, results)}


class StreamScope(Scope):
    """The events of one stream, in position order."""

    __slots__ = ()
    identifier: StreamIdentifier

    def publish(
        self,
        *,
        events: Sequence[Any],
        condition: WriteCondition | None = None,
        types: EventTypes | None = None,
    ) -> list[StoredEvent]:
        """Append ``events`` atomically if ``condition`` holds; return them as stored.

        Events are :class:`NewEvent` or instances of types registered in ``types`` (by
        default, the registry :func:`~tidings.event_type` fills), mixed as needed.
        Raises :class:`~tidings.UnmetWriteConditionError` when the condition fails, and
        writes nothing.
        """
        batch = stream_batch(self.identifier, events, condition, types)
        return (self._store.adapter.publish([batch]))[0]
