"""What an adapter can tell about its store cheaply, for ``tidings stats``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["StoreStatistics"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreStatistics:
    """Figures an adapter knows about its store; None where it does not know one, and
    the caller (``tidings stats``) then counts by reading the events itself.

    ``schema_version`` is the version of the adapter's schema in the store (None: the
    adapter keeps no schema); ``size_bytes`` the space the store takes on disk, where
    the backend can say (a SQLite file, a PostgreSQL schema's relations).
    """

    events: int | None = None
    streams: int | None = None
    categories: int | None = None
    schema_version: int | None = None
    size_bytes: int | None = None
