"""Opening a store from a config string."""

from __future__ import annotations

import os

from tidings._api.async_store import AsyncEventStore
from tidings._api.store import EventStore
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
    return EventStore(chosen.open(resolve_url(url), **options))


async def connect_async(
    url: str | URL | None = None, *, registry: Registry | None = None, **options: object
) -> AsyncEventStore:
    """Open the async face of a store: ``async with await tidings.connect_async(url)``.

    Adapters with native async (PostgreSQL, memory) serve it directly; any other adapter
    runs in a bounded thread pool, so the event loop never blocks.
    """
    chosen = registry if registry is not None else default_registry()
    return AsyncEventStore(chosen.open_async(resolve_url(url), **options))
