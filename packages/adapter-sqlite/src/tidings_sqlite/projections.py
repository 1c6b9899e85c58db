"""Projection storage in the store's projections table: one statement per operation.

Saves are upserts in a ``BEGIN IMMEDIATE`` transaction; reads are single statements,
each on its own snapshot. Searches and counts run wholly in SQL, every value bound.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlite_utils import Database

from tidings.adapters import (
    ExpectedRow,
    Identifier,
    Projection,
    ProjectionRow,
    ProjectionStorage,
    Query,
    encode_source,
    projection_from_row,
    projection_to_row,
)
from tidings_sqlite.projection_statements import ProjectionStatements
from tidings_sqlite.rows import from_micros, to_micros
from tidings_sqlite.transactions import write_transaction

__all__ = ["SQLiteProjectionStorage"]

Borrow = Callable[[str], AbstractContextManager[Database]]
"""Lends a connection for one operation, described by an action (``"search"``)."""

Guard = Callable[[str], None]
"""Raises before a write, described by an action, when the store may not write."""


class SQLiteProjectionStorage(ProjectionStorage):
    """Projections keyed by (name, id), next to the events table they were made from."""

    def __init__(self, borrow: Borrow, events_table: str, guard_writes: Guard) -> None:
        self._borrow = borrow
        self._statements = ProjectionStatements.for_table(events_table)
        self._guard_writes = guard_writes

    def save(self, projection: Projection) -> None:
        self._guard_writes("save a projection to")
        row = _to_database(projection_to_row(projection))
        with self._borrow("save a projection to") as db, write_transaction(db.conn):
            db.conn.execute(self._statements.upsert, row)

    def save_all(self, projections: Sequence[Projection]) -> None:
        """Every upsert in one ``BEGIN IMMEDIATE`` transaction: all or none."""
        self._guard_writes("save projections to")
        rows = [_to_database(projection_to_row(projection)) for projection in projections]
        with self._borrow("save projections to") as db, write_transaction(db.conn):
            db.conn.executemany(self._statements.upsert, rows)

    def save_all_if(
        self, projections: Sequence[Projection], expected: Sequence[ExpectedRow]
    ) -> bool:
        """The conditions are read inside the ``BEGIN IMMEDIATE`` transaction that
        saves, which holds the database's write lock: nothing can come between."""
        self._guard_writes("save projections to")
        rows = [_to_database(projection_to_row(projection)) for projection in projections]
        with self._borrow("save projections to") as db, write_transaction(db.conn):
            for condition in expected:
                found = db.conn.execute(
                    self._statements.load, [condition.name, condition.id]
                ).fetchone()
                if not condition.holds(None if found is None else _from_database(found)):
                    return False
            db.conn.executemany(self._statements.upsert, rows)
        return True

    def load(self, name: str, id: str) -> Projection | None:
        return self._one("load a projection from", self._statements.load, [name, id])

    def locate(self, name: str, source: Identifier) -> Projection | None:
        statement = self._statements.locate
        return self._one("locate a projection in", statement, [name, encode_source(source)])

    def search(self, query: Query) -> list[Projection]:
        fragment = self._statements.search(query)
        with self._borrow("search projections in") as db:
            rows = db.conn.execute(fragment.sql, fragment.params).fetchall()
        return [_from_database(row) for row in rows]

    def count(self, query: Query) -> int:
        fragment = self._statements.count(query)
        with self._borrow("count projections in") as db:
            (found,) = db.conn.execute(fragment.sql, fragment.params).fetchone()
        return int(found)

    def _one(self, action: str, sql: str, parameters: list[Any]) -> Projection | None:
        with self._borrow(action) as db:
            row = db.conn.execute(sql, parameters).fetchone()
        return None if row is None else _from_database(row)


def _to_database(row: ProjectionRow) -> tuple[Any, ...]:
    """Column values in :data:`PROJECTION_COLUMNS` order; timestamps as microseconds."""
    return (
        row.name,
        row.id,
        row.state,
        row.source,
        row.position,
        row.sequence_number,
        row.projector_version,
        to_micros(row.created_at),
        to_micros(row.updated_at),
    )


def _from_database(values: Sequence[Any]) -> Projection:
    name, id, state, source, position, sequence_number, version, created, updated = values
    return projection_from_row(
        ProjectionRow(
            name=name,
            id=id,
            state=state,
            source=source,
            position=position,
            sequence_number=sequence_number,
            projector_version=version,
            created_at=from_micros(created),
            updated_at=from_micros(updated),
        )
    )
