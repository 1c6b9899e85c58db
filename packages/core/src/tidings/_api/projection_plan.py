"""What both faces of the projection store share: argument checks and the resume plan.

The resume-and-snapshot procedure is written once, as a plan that yields the I/O it
needs (:class:`Load`, :class:`Save`, :class:`Read`); each face steps it with a
:class:`~tidings._protocol.plans.Driver` and its own I/O.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tidings._model.identifiers import Identifier
from tidings._model.names import validate_name
from tidings._model.projection import Projection, Projector, default_id
from tidings._protocol.projection_rows import projection_to_row
from tidings._query.evaluate import cursor_for
from tidings._query.model import Cursor, Filter, Page, Query, Sort
from tidings._typed.codecs import state_to_json
from tidings.errors import ValidationError

__all__ = [
    "Load",
    "Read",
    "Save",
    "SnapshotPolicy",
    "checked",
    "identifier_of",
    "page_of",
    "projection_plan",
    "query_of",
    "snapshot_name",
    "source_of",
]


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
        replace(p, name=key, state=projector.restore_state(p.state))
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


def checked(projection: Projection) -> Projection:
    """``projection`` ready to store: a Pydantic or dataclass state becomes its JSON form,
    and a state that is not portable JSON is rejected."""
    if not isinstance(projection, Projection):
        raise ValidationError("projection", f"must be a Projection, got {projection!r}")
    validate_name(projection.name, "name")
    validate_name(projection.id, "id")
    state = state_to_json(projection.state)
    if state is not projection.state:
        projection = replace(projection, state=state)
    projection_to_row(projection)  # rejects a state that is not portable JSON
    return projection


def query_of(
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


def page_of(items: list[Projection], query: Query) -> Page[Projection]:
    if not items:
        return Page(items, None)
    last = items[-1]
    get = lambda column: last.state if column == "state" else getattr(last, column)  # noqa: E731
    return Page(items, cursor_for(get, query.sort))


def identifier_of(source: Any) -> Identifier:
    """The identifier of a scope, or the identifier itself."""
    return getattr(source, "identifier", source)  # type: ignore[no-any-return]


def source_of(source: Any) -> Identifier:
    identifier = getattr(source, "identifier", None)
    if identifier is None:
        raise ValidationError(
            "source", "must be a scope: store.stream(...), store.category(...) or store.log()"
        )
    return identifier  # type: ignore[no-any-return]
