"""The systems under test: tidings (sync and async), eventsourcing's recorders, and the
raw drivers."""

from __future__ import annotations

from typing import Any

from ..backends import Location
from .base import Contender

__all__ = ["CONTENDERS", "Contender", "open_contender", "takes_part"]

CONTENDERS = ("tidings", "eventsourcing", "raw", "tidings-async")


def open_contender(label: str, location: Location) -> Contender[Any]:
    """Open contender ``label`` on the fresh ``location``."""
    if label == "tidings":
        from .tidings_store import TidingsContender

        return TidingsContender(location.tidings_url())
    if label == "tidings-async":
        from .tidings_async import AsyncTidingsContender

        return AsyncTidingsContender(location.tidings_url())
    if label == "eventsourcing":
        from .peer import PeerContender

        return PeerContender(location)
    if label == "raw" and location.row.backend == "postgres":
        from .raw import RawPostgres

        return RawPostgres(location)
    if label == "raw" and location.row.backend == "sqlite":
        from .raw import RawSQLite

        return RawSQLite(location)
    raise ValueError(f"no {label!r} contender for {location.row.key}")


def takes_part(label: str, backend: str, scenario: str) -> bool:
    """Whether contender ``label`` runs ``scenario`` on ``backend``. (i) pits the async
    store against the sync one, on PostgreSQL only."""
    if scenario == "i":
        return backend == "postgres" and label in ("tidings", "tidings-async")
    if label == "raw":
        return backend != "memory" and scenario in "abe"
    return label != "tidings-async"
