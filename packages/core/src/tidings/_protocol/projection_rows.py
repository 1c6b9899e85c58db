"""Projection ↔ row conversion, shared by every adapter that stores projections."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from tidings._model.events import to_utc
from tidings._model.identifiers import (
    CategoryIdentifier,
    Identifier,
    LogIdentifier,
    StreamIdentifier,
)
from tidings._model.jsonvalues import decode_json, encode_json, normalise_json
from tidings._model.projection import Projection, as_state

__all__ = [
    "PROJECTION_COLUMNS",
    "ExpectedRow",
    "ProjectionRow",
    "decode_source",
    "encode_source",
    "projection_from_row",
    "projection_to_row",
]


def encode_source(source: Identifier | None) -> str | None:
    """A source as JSON text (``["stream", "c", "s"]``), comparable by equality."""
    if source is None:
        return None
    if isinstance(source, StreamIdentifier):
        return encode_json(["stream", source.category, source.stream])
    if isinstance(source, CategoryIdentifier):
        return encode_json(["category", source.category])
    return encode_json(["log"])


def decode_source(text: str | None) -> Identifier | None:
    """The inverse of :func:`encode_source`."""
    if text is None:
        return None
    kind, *names = decode_json(text)
    if kind == "stream":
        return StreamIdentifier(*names)
    if kind == "category":
        return CategoryIdentifier(*names)
    return LogIdentifier()


@dataclass(frozen=True, slots=True)
class ProjectionRow:
    """A projection in storable form: JSON state text and encoded source."""

    name: str
    id: str
    state: str
    source: str | None
    position: int | None
    sequence_number: int | None
    projector_version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ExpectedRow:
    """A condition of :meth:`~tidings.adapters.ProjectionStorage.save_all_if`: the
    projection stored under (``name``, ``id``) has this ``updated_at`` (None: no
    projection is stored there). Writers that use it as a version (consumer groups'
    leases) make each ``updated_at`` of a row differ from the one before it."""

    name: str
    id: str
    updated_at: datetime | None

    def holds(self, stored: Projection | None) -> bool:
        """Whether the stored projection (or its absence) meets the condition."""
        if stored is None:
            return self.updated_at is None
        return self.updated_at is not None and stored.updated_at == self.updated_at


PROJECTION_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ProjectionRow))
"""The stored fields of a projection, in :class:`ProjectionRow` order: one column each."""


def projection_to_row(projection: Projection) -> ProjectionRow:
    """Validate and encode a projection; its state must be a portable JSON value."""
    state = normalise_json(projection.state, "state")
    return ProjectionRow(
        name=projection.name,
        id=projection.id,
        state=encode_json(state),
        source=encode_source(projection.source),
        position=projection.position,
        sequence_number=projection.sequence_number,
        projector_version=projection.projector_version,
        created_at=to_utc(projection.created_at, "created_at"),
        updated_at=to_utc(projection.updated_at, "updated_at"),
    )


_UNDECODED: Any = object()


def projection_from_row(row: ProjectionRow, state: Any = _UNDECODED) -> Projection:
    """Decode a stored row; pass ``state`` when the driver already decoded the JSON."""
    return Projection(
        name=row.name,
        id=row.id,
        state=as_state(decode_json(row.state) if state is _UNDECODED else state),
        source=decode_source(row.source),
        position=row.position,
        sequence_number=row.sequence_number,
        projector_version=row.projector_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
