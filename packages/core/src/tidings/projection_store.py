"""The public face of projection storage: save, load, search, and resume from snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice

from tidings.adapter import ProjectionStorage
from tidings.errors import ValidationError
from tidings.events import StoredEvent
from tidings.identifiers import Identifier
from tidings.names import validate_name
from tidings.projection import Projection, Projector, default_id
from tidings.projection_rows import projection_to_row
from tidings.query.evaluate import cursor_for
from tidings.query.model import Cursor, Filter, Page, Query, Sort
from tidings.store import Scope

__all__ = ["ProjectionStore", "SnapshotPolicy", "snapshot_name"]


@dataclass(frozen=True, slots=True)
class SnapshotPolicy:
    """When :meth:`ProjectionStore.project` saves a snapshot: every ``every`` events."""

    every: int = 100

    def __post_init__(self) -> None:
        if not isinstance(self.every, int) or isinstance(self.every, bool) or self.every < 1:
            raise ValidationError("every", f"must be an int >= 1, got {self.every!r}")


def snapshot_name(projector: Projector) -> str:
    """Snapshots are stored under the projector's name *and version*, so a changed
    projector never resumes from state its old handlers made."""
    return f"{projector.name}@snapshot:v{projector.version}"


class ProjectionStore:
    """Stored projections of one store, with one query language on every adapter."""

    def __init__(self, storage: ProjectionStorage) -> None:
        self._storage = storage

    def save(self, projection: Projection) -> Projection:
        """Insert or replace the projection with the same (name, id); returns it."""
        if not isinstance(projection, Projection):
            raise ValidationError("projection", f"must be a Projection, got {projection!r}")
        validate_name(projection.name, "name")
        validate_name(projection.id, "id")
        projection_to_row(projection)  # rejects a state that is not portable JSON
        self._storage.save(projection)
        return projection

    def load(self, *, name: str, id: str) -> Projection | None:
        """The projection stored under (name, id), or None."""
        return self._storage.load(validate_name(name, "name"), validate_name(id, "id"))

    def locate(self, *, name: str, source: Identifier | Scope) -> Projection | None:
        """The projection of that name made from ``source`` (a scope or identifier)."""
        identifier = source.identifier if isinstance(source, Scope) else source
        return self._storage.locate(validate_name(name, "name"), identifier)

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
        query = self._query(name, where, sort, limit, offset, after)
        items = self._storage.search(query)
        cursor = None
        if items:
            last = items[-1]
            cursor = cursor_for(lambda column: _column(last, column), query.sort)
        return Page(items, cursor)

    def count(self, *, name: str | None = None, where: Iterable[Filter] = ()) -> int:
        """How many projections match."""
        return self._storage.count(self._query(name, where, (), None, 0, None))

    def project(
        self,
        projector: Projector,
        source: Scope,
        *,
        id: str | None = None,
        snapshots: SnapshotPolicy | None = None,
        save: bool = True,
    ) -> Projection:
        """Project ``source``, resuming from the newest snapshot of this projector version.

        Only events after the snapshot's sequence number are read. With ``snapshots``, a
        snapshot is saved every ``snapshots.every`` events and at the end; with
        ``save``, the result is also saved under (projector name, id) for searching.
        """
        if not isinstance(source, Scope):
            raise ValidationError(
                "source", "must be a scope: store.stream(...), .category(...) or .log()"
            )
        projection_id = id if id is not None else default_id(source.identifier)
        key = snapshot_name(projector)
        start = self._resume_point(projector, key, projection_id) or Projection(
            name=key,
            id=projection_id,
            state=projector.initial_state(),
            source=source.identifier,
            projector_version=projector.version,
        )
        every = snapshots.every if snapshots is not None else None
        events = source.iterate(after=start.sequence_number)
        current = start
        for chunk in _chunks(events, every):
            current = projector.apply(current, chunk)
            if snapshots is not None:
                self.save(current)
        result = replace(current, name=projector.name)
        if save:
            self.save(result)
        return result

    def _resume_point(self, projector: Projector, key: str, id: str) -> Projection | None:
        """The furthest of the snapshot and the saved projection made by this projector
        version, renamed as a snapshot."""
        candidates = [self._storage.load(key, id), self._storage.load(projector.name, id)]
        usable = [
            replace(found, name=key)
            for found in candidates
            if found is not None and found.projector_version == projector.version
        ]
        return max(usable, key=lambda p: p.sequence_number or 0, default=None)

    @staticmethod
    def _query(
        name: str | None,
        where: Iterable[Filter],
        sort: Sequence[str | Sort],
        limit: int | None,
        offset: int,
        after: Cursor | None,
    ) -> Query:
        if isinstance(sort, str):
            raise ValidationError("sort", "must be a list of paths, not a single str")
        return Query(
            name=None if name is None else validate_name(name, "name"),
            filters=tuple(where),
            sort=tuple(Sort.parse(key) for key in sort),
            limit=limit,
            offset=offset,
            after=after,
        )


def _column(projection: Projection, column: str) -> object:
    return projection.state if column == "state" else getattr(projection, column)


def _chunks(events: Iterator[StoredEvent], size: int | None) -> Iterator[list[StoredEvent]]:
    while chunk := list(islice(events, size)):
        yield chunk
