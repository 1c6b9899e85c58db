"""The public face of projection storage: save, load, search, and resume from snapshots.

The resume-and-snapshot procedure is written once, as a plan that yields the I/O it
needs (:class:`Load`, :class:`Save`, :class:`Read`); the sync and async stores each run
that plan with their own I/O, so their logic cannot drift apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import TYPE_CHECKING, Any

from tidings._protocol.adapter import ProjectionStorage
from tidings.errors import ValidationError
from tidings._model.events import StoredEvent
from tidings._model.identifiers import Identifier
from tidings._model.names import validate_name
from tidings._model.projection import Projection, Projector, default_id
from tidings._protocol.projection_rows import projection_to_row
from tidings._query.evaluate import cursor_for
from tidings._query.model import Cursor, Filter, Page, Query, Sort

if TYPE_CHECKING:
    from tidings._protocol.async_adapter import AsyncProjectionStorage
    from tidings._api.async_store import AsyncScope
    from tidings._api.store import Scope

__all__ = ["AsyncProjectionStore", "ProjectionStore", "SnapshotPolicy", "snapshot_name"]


@dataclass(frozen=True, slots=True)
class SnapshotPolicy:
    """When ``project`` saves a snapshot: every ``every`` events applied."""

    every: int = 100

    def __post_init__(self) -> None:
        if not isinstance(self.every, int) or isinstance(self.every, bool) or self.every < 1:
            raise ValidationError("every", f"must be an int >= 1, got {self.every!r}")


def snapshot_name(projector: Projector) -> str:
    """Snapshots are stored under the projector's name *and version*, so a changed
    projector never resumes from state its old handlers made."""
    return f"{projector.name}@snapshot:v{projector.version}"


@dataclass(frozen=True, slots=True)
class Load:
    name: str
    id: str


@dataclass(frozen=True, slots=True)
class Save:
    projection: Projection


@dataclass(frozen=True, slots=True)
class Read:
    """The next chunk of the source's events after ``after`` (``size`` None: all)."""

    after: int | None
    size: int | None


Plan = Generator[Load | Save | Read, Any, Projection]


def projection_plan(
    projector: Projector,
    source: Identifier,
    id: str | None,
    snapshots: SnapshotPolicy | None,
    save: bool,
) -> Plan:
    """Resume from the furthest usable snapshot or saved projection, apply the events
    after it (saving a snapshot every ``snapshots.every``), then save the result."""
    projection_id = id if id is not None else default_id(source)
    key = snapshot_name(projector)
    found = [(yield Load(key, projection_id)), (yield Load(projector.name, projection_id))]
    for stored in found:
        if stored is not None and stored.source not in (None, source):
            raise ValidationError(
                "id",
                f"projection {projector.name!r} id {projection_id!r} was made from "
                f"{stored.source!r}, not {source!r}; pass a distinct id= to keep them apart",
            )
    usable = [
        replace(p, name=key)
        for p in found
        if p is not None and p.projector_version == projector.version
    ]
    current = max(usable, key=lambda p: p.sequence_number or 0, default=None) or Projection(
        name=key,
        id=projection_id,
        state=projector.initial_state(),
        source=source,
        projector_version=projector.version,
    )
    every = snapshots.every if snapshots is not None else None
    while chunk := (yield Read(current.sequence_number, every)):
        current = projector.apply(current, chunk)
        if snapshots is not None:
            yield Save(current)
    result = replace(current, name=projector.name)
    if save:
        yield Save(result)
    return result


def _checked(projection: Projection) -> Projection:
    if not isinstance(projection, Projection):
        raise ValidationError("projection", f"must be a Projection, got {projection!r}")
    validate_name(projection.name, "name")
    validate_name(projection.id, "id")
    projection_to_row(projection)  # rejects a state that is not portable JSON
    return projection


def _query(
    name: str | None,
    where: Iterable[Filter],
    sort: Sequence[str | Sort] = (),
    limit: int | None = None,
    offset: int = 0,
    after: Cursor | None = None,
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


def _page(items: list[Projection], query: Query) -> Page[Projection]:
    if not items:
        return Page(items, None)
    last = items[-1]
    get = lambda column: last.state if column == "state" else getattr(last, column)  # noqa: E731
    return Page(items, cursor_for(get, query.sort))


def _identifier(source: Any) -> Identifier:
    """The identifier of a scope, or the identifier itself."""
    return getattr(source, "identifier", source)  # type: ignore[no-any-return]


def _source_of(source: Any) -> Identifier:
    identifier = getattr(source, "identifier", None)
    if identifier is None:
        raise ValidationError(
            "source", "must be a scope: store.stream(...), store.category(...) or store.log()"
        )
    return identifier  # type: ignore[no-any-return]


class ProjectionStore:
    """Stored projections of one store, with one query language on every adapter."""

    def __init__(self, storage: ProjectionStorage) -> None:
        self._storage = storage

    def save(self, projection: Projection) -> Projection:
        """Insert or replace the projection with the same (name, id); returns it."""
        self._storage.save(_checked(projection))
        return projection

    def load(self, *, name: str, id: str) -> Projection | None:
        """The projection stored under (name, id), or None."""
        return self._storage.load(validate_name(name, "name"), validate_name(id, "id"))

    def locate(self, *, name: str, source: Identifier | Scope) -> Projection | None:
        """The projection of that name made from ``source`` (a scope or identifier)."""
        return self._storage.locate(validate_name(name, "name"), _identifier(source))

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
        query = _query(name, where, sort, limit, offset, after)
        return _page(self._storage.search(query), query)

    def count(self, *, name: str | None = None, where: Iterable[Filter] = ()) -> int:
        """How many projections match."""
        return self._storage.count(_query(name, where))

    def project(
        self,
        projector: Projector,
        source: Scope,
        *,
        id: str | None = None,
        snapshots: SnapshotPolicy | None = None,
        save: bool = True,
    ) -> Projection:
        """Project ``source``, resuming from the newest snapshot or saved projection of
        this projector version and reading only the events after it. With ``snapshots``,
        a snapshot is saved every ``snapshots.every`` events; with ``save``, the result
        is saved under (projector name, id)."""
        plan = projection_plan(projector, _source_of(source), id, snapshots, save)
        events: Iterator[StoredEvent] | None = None
        reply: Any = None
        while True:
            try:
                effect = plan.send(reply)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if isinstance(effect, Load):
                reply = self._storage.load(effect.name, effect.id)
            elif isinstance(effect, Save):
                self._storage.save(_checked(effect.projection))
                reply = None
            else:
                events = events or source.iterate(after=effect.after)
                reply = list(islice(events, effect.size))


class AsyncProjectionStore:
    """The async twin of :class:`ProjectionStore`, with the same names and semantics."""

    def __init__(self, storage: AsyncProjectionStorage) -> None:
        self._storage = storage

    async def save(self, projection: Projection) -> Projection:
        await self._storage.save(_checked(projection))
        return projection

    async def load(self, *, name: str, id: str) -> Projection | None:
        return await self._storage.load(validate_name(name, "name"), validate_name(id, "id"))

    async def locate(self, *, name: str, source: Identifier | AsyncScope) -> Projection | None:
        return await self._storage.locate(validate_name(name, "name"), _identifier(source))

    async def search(
        self,
        *,
        name: str | None = None,
        where: Iterable[Filter] = (),
        sort: Sequence[str | Sort] = (),
        limit: int | None = None,
        offset: int = 0,
        after: Cursor | None = None,
    ) -> Page[Projection]:
        query = _query(name, where, sort, limit, offset, after)
        return _page(await self._storage.search(query), query)

    async def count(self, *, name: str | None = None, where: Iterable[Filter] = ()) -> int:
        return await self._storage.count(_query(name, where))

    async def project(
        self,
        projector: Projector,
        source: AsyncScope,
        *,
        id: str | None = None,
        snapshots: SnapshotPolicy | None = None,
        save: bool = True,
    ) -> Projection:
        plan = projection_plan(projector, _source_of(source), id, snapshots, save)
        events: AsyncIterator[StoredEvent] | None = None
        reply: Any = None
        while True:
            try:
                effect = plan.send(reply)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if isinstance(effect, Load):
                reply = await self._storage.load(effect.name, effect.id)
            elif isinstance(effect, Save):
                await self._storage.save(_checked(effect.projection))
                reply = None
            else:
                events = events or source.iterate(after=effect.after)
                reply = [event async for event in _islice(events, effect.size)]


async def _islice(
    events: AsyncIterator[StoredEvent], size: int | None
) -> AsyncIterator[StoredEvent]:
    taken = 0
    while size is None or taken < size:
        try:
            yield await anext(events)
        except StopAsyncIteration:
            return
        taken += 1
