"""In-memory projection storage: the reference for the query language's semantics."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tidings.adapters import (
    Identifier,
    Projection,
    ProjectionStorage,
    Query,
    evaluate_query,
    projection_from_row,
    projection_to_row,
)

__all__ = ["MemoryProjectionStorage"]


def _document(projection: Projection) -> Callable[[str], Any]:
    return lambda column: projection.state if column == "state" else getattr(projection, column)


class MemoryProjectionStorage(ProjectionStorage):
    """Projections in a dict, copied through their stored form so callers cannot alias them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._projections: dict[tuple[str, str], Projection] = {}

    def save(self, projection: Projection) -> None:
        stored = projection_from_row(projection_to_row(projection))
        with self._lock:
            self._projections[(projection.name, projection.id)] = stored

    def load(self, name: str, id: str) -> Projection | None:
        with self._lock:
            return self._projections.get((name, id))

    def locate(self, name: str, source: Identifier) -> Projection | None:
        with self._lock:
            found = [
                p for (n, _), p in self._projections.items() if n == name and p.source == source
            ]
        return min(found, key=lambda p: p.id, default=None)

    def search(self, query: Query) -> list[Projection]:
        return evaluate_query(self._candidates(query), query, _document)

    def count(self, query: Query) -> int:
        unpaged = Query(name=query.name, filters=query.filters)
        return len(evaluate_query(self._candidates(query), unpaged, _document))

    def _candidates(self, query: Query) -> list[Projection]:
        with self._lock:
            return [p for (name, _), p in self._projections.items() if query.name in (None, name)]
