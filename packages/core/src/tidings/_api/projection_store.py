# Generated from async_projection_store.py by tools/unasync.py: do not edit.
"""The projection store: save, load, search, and project with resumable snapshots.

The async module is the one source of both faces; the sync module is generated from it
by ``tools/unasync.py``. The resume logic itself is the I/O-free
:func:`~tidings._api.projection_plan.projection_plan`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Protocol

from tidings._api.projection_plan import (
    Load,
    Save,
    SnapshotPolicy,
    checked,
    identifier_of,
    page_of,
    projection_plan,
    query_of,
    source_of,
)
from tidings._model.events import StoredEvent
from tidings._model.identifiers import Identifier
from tidings._model.names import validate_name
from tidings._model.projection import Projection, Projector
from tidings._protocol.adapter import ProjectionStorage
from tidings._protocol.plans import Driver
from tidings._query.model import Cursor, Filter, Page, Sort

__all__ = ["ProjectionStore"]


class _Source(Protocol):
    """What a projection store needs of a scope (so it does not depend on the store)."""

    @property
    def identifier(self) -> Identifier: ...

    def iterate(self, *, after: int | None = None) -> Iterator[StoredEvent]: ...


class ProjectionStore:
    """Stored projections of one store, with one query language on every adapter."""

    def __init__(self, storage: ProjectionStorage) -> None:
        self._storage = storage

    def save(self, projection: Projection) -> Projection:
        """Insert or replace the projection with the same (name, id); returns it."""
        self._storage.save(checked(projection))
        return projection

    def load(self, *, name: str, id: str) -> Projection | None:
        """The projection stored under (name, id), or None."""
        return self._storage.load(validate_name(name, "name"), validate_name(id, "id"))

    def locate(self, *, name: str, source: Identifier | _Source) -> Projection | None:
        """The projection of that name made from ``source`` (a scope or identifier)."""
        return self._storage.locate(validate_name(name, "name"), identifier_of(source))

    def search(
        self,
        *,
        name: str | None = None,
        where: Iterable[Filter] = (),
        sort: Sequence[str | Sort] = (),
        limit: int | None = None,
        offset: int = 0,
        after: Cursor | None = None,
    ) -> Page[Projection]:
        """Projections matching every filter in ``where``, sorted and paged.

        ``sort`` takes paths, ``-`` first for descending (``["-state.age", "id"]``).
        Page with ``limit`` and ``offset``, or pass ``after=page.cursor`` for keyset paging.
        """
        query = query_of(name, where, sort, limit, offset, after)
        return page_of(self._storage.search(query), query)

    def count(self, *, name: str | None = None, where: Iterable[Filter] = ()) -> int:
        """How many projections match."""
        return self._storage.count(query_of(name, where))

    def project(
        self,
        projector: Projector,
        source: _Source,
        *,
        id: str | None = None,
        snapshots: SnapshotPolicy | None = None,
        save: bool = True,
    ) -> Projection:
        """Project ``source``, resuming from the newest snapshot or saved projection of
        this projector version and reading only the events after it. With ``snapshots``,
        a snapshot is saved every ``snapshots.every`` events; with ``save``, the result
        is saved under (projector name, id)."""
        steps = Driver(projection_plan(projector, source_of(source), id, snapshots, save))
        events: Iterator[StoredEvent] | None = None
        for effect in steps:
            if isinstance(effect, Load):
                steps.reply = self._storage.load(effect.name, effect.id)
            elif isinstance(effect, Save):
                self._storage.save(checked(effect.projection))
            else:
                events = events or source.iterate(after=effect.after)
                steps.reply = list(islice(events, effect.size))
        return steps.result
