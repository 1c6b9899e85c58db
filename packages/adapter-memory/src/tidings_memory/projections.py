"""In-memory projection storage: the reference for the query language's semantics."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from tidings.adapters import (
    ExpectedRow,
    Identifier,
    Projection,
    ProjectionRow,
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
    """Projections in a dict, kept in their stored form (JSON state text) beside a decoded
    copy for queries. Every projection handed out is decoded afresh from the stored form,
    so no caller can change a stored projection by mutating its state."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._projections: dict[tuple[str, str], tuple[ProjectionRow, Projection]] = {}

    def save(self, projection: Projection) -> None:
        row = projection_to_row(projection)
        stored = projection_from_row(row)
        with self._lock:
            self._projections[(projection.name, projection.id)] = (row, stored)

    def save_all(self, projections: Sequence[Projection]) -> None:
        """Every projection under one acquisition of the lock: all or none."""
        rows = [projection_to_row(projection) for projection in projections]
        stored = [(row, projection_from_row(row)) for row in rows]
        with self._lock:
            for row, projection in stored:
                self._projections[(row.name, row.id)] = (row, projection)

    def save_all_if(
        self, projections: Sequence[Projection], expected: Sequence[ExpectedRow]
    ) -> bool:
        """The check and the save under one acquisition of the lock."""
        rows = [projection_to_row(projection) for projection in projections]
        stored = [(row, projection_from_row(row)) for row in rows]
        with self._lock:
            for condition in expected:
                found = self._projections.get((condition.name, condition.id))
                if not condition.holds(None if found is None else found[1]):
                    return False
            for row, projection in stored:
                self._projections[(row.name, row.id)] = (row, projection)
        return True

    def load(self, name: str, id: str) -> Projection | None:
        with self._lock:
            found = self._projections.get((name, id))
        return None if found is None else projection_from_row(found[0])

    def locate(self, name: str, source: Identifier) -> Projection | None:
        with self._lock:
            found = [
                row
                for (n, _), (row, stored) in self._projections.items()
                if n == name and stored.source == source
            ]
        row = min(found, key=lambda r: r.id, default=None)
        return None if row is None else projection_from_row(row)

    def search(self, query: Query) -> list[Projection]:
        candidates = self._candidates(query)
        rows = {id(stored): row for row, stored in candidates}
        matches = evaluate_query([stored for _, stored in candidates], query, _document)
        return [projection_from_row(rows[id(stored)]) for stored in matches]

    def count(self, query: Query) -> int:
        unpaged = Query(name=query.name, filters=query.filters)
        candidates = [stored for _, stored in self._candidates(query)]
        return len(evaluate_query(candidates, unpaged, _document))

    def _candidates(self, query: Query) -> list[tuple[ProjectionRow, Projection]]:
        with self._lock:
            return [
                pair for (name, _), pair in self._projections.items() if query.name in (None, name)
            ]
