"""Opening a store from a config string."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tidings._api.async_store import AsyncEventStore
from tidings._api.store import EventStore
from tidings._logging import describe_url, logger
from tidings._plugins.registry import Registry, default_registry
from tidings._plugins.url import URL

__all__ = ["DEFAULT_URL", "URL_ENV", "connect", "connect_async", "resolve_url"]

URL_ENV = "TIDINGS_URL"
DEFAULT_URL = "sqlite:///tidings.db"
"""The embedded default, used when neither an argument nor ``TIDINGS_URL`` names a store."""


def resolve_url(url: str | URL | None = None) -> str | URL:
    """The config string to use: the argument, else ``TIDINGS_URL``, else the default."""
    if url is not None:
        return url
    return os.environ.get(URL_ENV) or DEFAULT_URL


def connect(
    url: str | URL | None = None, *, registry: Registry | None = None, **options: object
) -> EventStore:
    """Open a store from a config string such as ``sqlite:///events.db`` or ``memory://``.

    With no ``url``, reads ``TIDINGS_URL`` and falls back to ``sqlite:///tidings.db``.
    Keyword options override the config string's query options.
    """
    chosen = registry if registry is not None else default_registry()
    resolved = resolve_url(url)
    started = time.perf_counter()
    adapter = chosen.open(resolved, **options)
    shown = _opened(adapter, resolved, started)
    _log_when_closed(adapter, "close", shown)
    return EventStore(adapter)


async def connect_async(
    url: str | URL | None = None, *, registry: Registry | None = None, **options: object
) -> AsyncEventStore:
    """Open the async face of a store: ``async with await tidings.connect_async(url)``.

    Adapters with native async (PostgreSQL, memory) serve it directly; any other adapter
    runs in a bounded thread pool, so the event loop never blocks.
    """
    chosen = registry if registry is not None else default_registry()
    resolved = resolve_url(url)
    started = time.perf_counter()
    adapter = chosen.open_async(resolved, **options)
    shown = _opened(adapter, resolved, started)
    _log_when_closed(adapter, "aclose", shown)
    return AsyncEventStore(adapter)


def _opened(adapter: object, url: str | URL, started: float) -> str:
    """Record that a store opened; the password-free config string it was opened with."""
    shown = describe_url(url)
    if logger.isEnabledFor(logging.INFO):  # skip the timing's formatting when nobody listens
        elapsed = (time.perf_counter() - started) * 1000
        logger.info("opened store %s with %s in %.1f ms", shown, type(adapter).__name__, elapsed)
    return shown


def _log_when_closed(adapter: object, method: str, shown: str) -> None:
    """Record when the store's adapter closes, by wrapping this instance's ``close``
    (or ``aclose``): the store classes are generated from one source and stay free of
    logging, and an adapter class that allows no instance attributes just goes
    unrecorded."""
    close: Callable[[], Any] | None = getattr(adapter, method, None)
    if close is None:
        return
    wrapper: Callable[[], Any]
    if method == "aclose":
        async_close: Callable[[], Awaitable[None]] = close

        @functools.wraps(async_close)
        async def wrapper() -> None:
            await async_close()
            logger.info("closed store %s", shown)

    else:

        @functools.wraps(close)
        def wrapper() -> None:
            close()
            logger.info("closed store %s", shown)

    with contextlib.suppress(AttributeError):
        setattr(adapter, method, wrapper)
