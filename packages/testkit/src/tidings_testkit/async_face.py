"""Run the conformance suite through the async API itself, with the same tests.

:func:`async_face_store` opens an :class:`~tidings.AsyncEventStore` on an event loop of
its own thread and hands the tests a blocking view of it. Every call the suite makes
(``store.stream(...).publish``, ``scope.iterate``, ``store.projections.project``...) goes
to the async store, its async scopes and its :class:`~tidings.AsyncProjectionStore`, and
is awaited on that loop. Threads in the concurrency tests become concurrent tasks there.
The view adds no logic of its own: it only awaits, so every rule is checked on the async
face exactly as the sync suite checks it on the sync face.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import suppress
from types import TracebackType
from typing import Any, TypeVar, cast

import tidings
from tidings import (
    AsyncConsumer,
    AsyncEventStore,
    AsyncGroupMember,
    AsyncProjectionConsumer,
    AsyncProjectionStore,
    AsyncScope,
    AsyncSubscription,
    AsyncTypedSubscription,
    EventStore,
    StoreClosedError,
)
from tidings.adapters import AsyncStorageAdapter

_VIEWED = (
    AsyncEventStore,
    AsyncScope,
    AsyncProjectionStore,
    AsyncSubscription,
    AsyncTypedSubscription,
    AsyncConsumer,
    AsyncProjectionConsumer,
    AsyncGroupMember,
)
"""The async API objects that come back as views (everything else passes through)."""

__all__ = ["BlockingView", "async_face_of", "async_face_store"]

T = TypeVar("T")

_ASYNC_NAMES = {"close": "aclose"}
"""Sync names whose async twin is spelt differently."""


class _LoopThread:
    """An event loop running forever on a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="tidings-async-face", daemon=True
        )
        self._thread.start()

    def run(self, awaitable: Awaitable[T]) -> T:
        if self.loop.is_closed():  # the store was closed: let it refuse on a loop of its own
            return asyncio.run(_awaited(awaitable))
        call = _awaited(awaitable)
        future = asyncio.run_coroutine_threadsafe(call, self.loop)
        while True:
            try:
                return future.result(timeout=0.1)
            except concurrent.futures.CancelledError:
                # Still running when the store closed, past the drain (see _drain).
                raise StoreClosedError("the store was closed while this call ran") from None
            except concurrent.futures.TimeoutError:
                if self._thread.is_alive():
                    continue
            # The store closed and its loop stopped before this call ran (a subscriber
            # stepping while another thread closes the store): never wait for ever.
            future.cancel()
            call.close()
            if isinstance(awaitable, Coroutine):
                awaitable.close()
            raise StoreClosedError("the store was closed while this call waited")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop once the calls still running on it have ended (a subscriber
        waiting when its store closes ends at its next step), within ``timeout``
        seconds; those still running then are cancelled."""
        if self.loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(_drain(timeout), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


async def _drain(timeout: float) -> None:
    """Let the calls still running end; cancel those that outlive ``timeout``, so that
    their ``finally`` blocks and context managers still run (a task dropped with the
    closed loop would leave its connections for the garbage collector)."""
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    if pending:
        _, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=timeout)


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


class BlockingView:
    """A blocking view of an async store, scope or projection store.

    Attribute reads pass through; calls are made, and their awaitables awaited on the
    loop; async iterators become lazy iterators that pull one event per step; stores,
    scopes and projection stores come back as views, and views passed as arguments are
    unwrapped, so ``projections.project(projector, scope)`` gets the async scope.
    """

    __slots__ = ("_loop", "_owns_loop", "_target")

    def __init__(self, target: object, loop: _LoopThread, *, owns_loop: bool = False) -> None:
        self._target = target
        self._loop = loop
        self._owns_loop = owns_loop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, _ASYNC_NAMES.get(name, name))
        if callable(value) and not isinstance(value, type):
            return functools.partial(self._call, value)
        return self._view(value)

    def _call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if function.__name__ == "aclose" and self._loop.loop.is_closed():
            return None  # closed already, and its loop with it: closing is idempotent
        result = function(
            *(_unwrap(arg) for arg in args), **{k: _unwrap(v) for k, v in kwargs.items()}
        )
        try:
            return self._view(result)
        finally:
            if function.__name__ == "aclose" and self._owns_loop:
                self._loop.stop()

    def _view(self, value: Any) -> Any:
        if isinstance(value, Coroutine):
            return self._view(self._loop.run(value))
        if isinstance(value, _VIEWED):
            return BlockingView(value, self._loop)
        if isinstance(value, AsyncIterator):
            return self._iterate(value)
        return value

    def _iterate(self, events: AsyncIterator[Any]) -> Iterator[Any]:
        try:
            while True:
                try:
                    yield self._loop.run(anext(events))
                except StopAsyncIteration:
                    return
        finally:
            close = getattr(events, "aclose", None)
            if close is not None and not self._loop.loop.is_closed():
                with suppress(StoreClosedError):  # closed with its store meanwhile
                    self._loop.run(close())

    def __iter__(self) -> Iterator[Any]:
        return self._iterate(cast(AsyncScope, self._target).__aiter__())

    def __next__(self) -> Any:
        try:
            return self._loop.run(cast(AsyncSubscription, self._target).__anext__())
        except StopAsyncIteration:
            raise StopIteration from None

    def __enter__(self) -> BlockingView:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"BlockingView({self._target!r})"


def _unwrap(value: Any) -> Any:
    return value._target if isinstance(value, BlockingView) else value


def async_face_store(url: str, **options: Any) -> EventStore:
    """An :class:`~tidings.AsyncEventStore` for ``url``, seen through a blocking view so
    that the sync suite's tests drive it unchanged. Closing the view closes the store
    and stops its loop."""
    loop = _LoopThread()
    try:
        store = loop.run(tidings.connect_async(url, **options))
    except BaseException:
        loop.stop()
        raise
    return cast(EventStore, BlockingView(store, loop, owns_loop=True))


def async_face_of(adapter: AsyncStorageAdapter) -> EventStore:
    """An :class:`~tidings.AsyncEventStore` around an adapter object, seen through a
    blocking view: for adapters that are not registered under a scheme (a sync adapter
    gets its async face with ``ThreadBridge(adapter)``)."""
    loop = _LoopThread()
    return cast(EventStore, BlockingView(AsyncEventStore(adapter), loop, owns_loop=True))
