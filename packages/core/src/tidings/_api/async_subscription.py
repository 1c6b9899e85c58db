"""Subscriptions: follow a scope from a start point, catch up, then wait for new events.

The async module is the one source of both faces; the sync module is generated from it
by ``tools/unasync.py``. A subscription pulls: it reads a page when its consumer asks for
the next event and has none in hand, so a slow consumer is never flooded. When it has
caught up it waits on the adapter, which returns early when it hears of a commit
(notifications, a changed file, a condition variable) and otherwise after the poll
interval, so a lost notification delays a subscriber but never stalls it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any, Self

from tidings._api.store_base import StoreBase
from tidings._model.checkpoint import Checkpoint
from tidings._model.events import StoredEvent
from tidings._model.identifiers import Identifier
from tidings._protocol.async_adapter import AsyncStorageAdapter
from tidings._protocol.requests import FollowRequest
from tidings.errors import TidingsError

__all__ = ["AsyncSubscription", "AsyncTypedSubscription"]

HELD_FIRST_WAIT = 0.01
"""Seconds before a subscriber looks again at events held behind an older transaction;
doubled at each look, up to the poll interval."""


class AsyncSubscription:
    """The events of one scope in delivery order, from a start point, live.

    Iterate it (``async for`` on the async face) to get events one by one, or iterate
    :meth:`batches` to get them a page at a time. :attr:`checkpoint` is the checkpoint
    of the last event handed out: store it, and pass it back as ``after=`` to resume.
    Per stream, events always come in position order (contract rule 24). Iteration ends
    when the subscription or its store is closed, or, with ``until_caught_up``, when no
    event is left to deliver.
    """

    def __init__(
        self,
        store: StoreBase[AsyncStorageAdapter],
        target: Identifier,
        *,
        after: Checkpoint | None,
        names: frozenset[str] | None,
        batch_size: int,
        poll_interval: float,
        until_caught_up: bool,
    ) -> None:
        self._store = store
        self.target = target
        self._names = names
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._until_caught_up = until_caught_up
        self._position = after
        self._checkpoint = after
        self._buffer: deque[tuple[StoredEvent, Checkpoint]] = deque()
        self._closed = False
        self._held_wait = HELD_FIRST_WAIT

    @property
    def checkpoint(self) -> Checkpoint | None:
        """Where to resume: the checkpoint of the last event handed out (or the start)."""
        return self._checkpoint

    @property
    def page_done(self) -> bool:
        """Whether every event read so far has been handed out: a consumer that saves
        its checkpoint once per page saves it when this turns true."""
        return not self._buffer

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StoredEvent:
        if not self._buffer and not await self._fill():
            raise StopAsyncIteration
        event, self._checkpoint = self._buffer.popleft()
        return event

    async def batches(self) -> AsyncIterator[list[StoredEvent]]:
        """The events a page at a time (at most ``batch_size``): consumers that save a
        checkpoint per batch read them this way. :attr:`checkpoint` is the last event's
        while the caller holds a batch."""
        while self._buffer or await self._fill():
            batch = list(self._buffer)
            self._buffer.clear()
            self._checkpoint = batch[-1][1]
            yield [event for event, _ in batch]

    async def _fill(self) -> bool:
        """Read the next page into the buffer, waiting for one when caught up; False when
        the iteration is over."""
        while not self._closed:
            request = FollowRequest(self.target, self._position, self._batch_size, self._names)
            try:
                page = await self._store.adapter.follow(request)
            except TidingsError:
                if not self._store.closed:
                    raise
                break  # the store closed under the subscription, maybe mid-read: it ends
            if page.resume is not None:
                self._position = page.resume
            if page.entries:
                self._buffer.extend(page.entries)
                self._held_wait = HELD_FIRST_WAIT
                return True
            if self._until_caught_up and not page.pending:
                if page.resume is not None:  # the name filter skipped events: remember it
                    self._checkpoint = page.resume
                return False
            wait = self._poll_interval
            if page.pending:
                # Committed events wait behind an older transaction, which may end with no
                # notification (it need not be a publish): look again soon, backing off.
                wait = min(wait, self._held_wait)
                self._held_wait = min(self._held_wait * 2, self._poll_interval)
            try:
                await self._store.adapter.wait_for_change(wait)
            except TidingsError:
                if not self._store.closed:
                    raise
                break
        return False

    async def aclose(self) -> None:
        """Stop: iteration ends at the next step. Idempotent; the store stays open."""
        self._closed = True
        self._buffer.clear()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.target!r}, checkpoint={self._checkpoint})"


class AsyncTypedSubscription:
    """A subscription whose events come as :class:`~tidings.TypedEvent` (or, for names
    with no registered type under ``on_unknown="untyped"``, as stored events).

    It follows its scope exactly as the :class:`AsyncSubscription` it wraps, with the
    same checkpoints; each event is decoded when it is handed out.
    """

    def __init__(self, subscription: AsyncSubscription, reader: Callable[[StoredEvent], Any]):
        self._subscription = subscription
        self._reader = reader

    @property
    def target(self) -> Identifier:
        """The scope followed."""
        return self._subscription.target

    @property
    def checkpoint(self) -> Checkpoint | None:
        """Where to resume: the checkpoint of the last event handed out (or the start)."""
        return self._subscription.checkpoint

    @property
    def page_done(self) -> bool:
        """Whether every event read so far has been handed out."""
        return self._subscription.page_done

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Any:
        return self._reader(await self._subscription.__anext__())

    async def batches(self) -> AsyncIterator[list[Any]]:
        """The typed events a page at a time (see :meth:`AsyncSubscription.batches`)."""
        async for batch in self._subscription.batches():
            yield [self._reader(event) for event in batch]

    async def aclose(self) -> None:
        """Stop: iteration ends at the next step. Idempotent; the store stays open."""
        await self._subscription.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._subscription!r})"
