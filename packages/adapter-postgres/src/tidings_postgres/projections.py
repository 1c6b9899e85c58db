"""Projection storage: upserts by (name, id), and searches compiled to SQL.

Searches and counts run entirely in SQL: :mod:`tidings.query.sql` with
:class:`~tidings_postgres.dialect.PostgresDialect`, every value a bound parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import psycopg

from tidings.adapter import ProjectionStorage
from tidings.identifiers import Identifier
from tidings.projection import Projection
from tidings.projection_rows import (
    ProjectionRow,
    encode_source,
    projection_from_row,
    projection_to_row,
)
from tidings.query.model import Query
from tidings.query.sql import Fragment, compile_order, compile_where
from tidings_postgres.dialect import PostgresDialect
from tidings_postgres.schema import PROJECTION_COLUMNS, render

__all__ = ["PostgresProjectionStorage"]

Connection = psycopg.Connection[tuple[Any, ...]]
Reader = Callable[[str, Sequence[object]], list[tuple[Any, ...]]]
Connector = Callable[[str], AbstractContextManager[Connection]]

_COLUMNS = ", ".join(PROJECTION_COLUMNS)
_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in PROJECTION_COLUMNS if c not in ("name", "id"))
_DIALECT = PostgresDialect()


def _exact(params: Sequence[object]) -> list[object]:
    """Floats bound as the decimal their JSON text holds, so numbers compare as numeric
    (exact for big ints) and ``0.1`` equals a stored ``0.1``."""
    return [Decimal(repr(p)) if isinstance(p, float) else p for p in params]


class PostgresProjectionStorage(ProjectionStorage):
    """Projections in the ``projections`` table of one schema."""

    def __init__(self, schema: str, read: Reader, connection: Connector) -> None:
        self._read = read
        self._connection = connection
        self._select = render(f"SELECT {_COLUMNS} FROM {{s}}.projections", schema)
        self._count = render("SELECT count(*) FROM {s}.projections", schema)
        self._save = render(
            f"INSERT INTO {{s}}.projections ({_COLUMNS}) VALUES ({', '.join(['%s'] * 9)})"
            f" ON CONFLICT (name, id) DO UPDATE SET {_UPDATES}",
            schema,
        )
        self.load_statement = f"{self._select} WHERE name = %s AND id = %s"
        self.locate_statement = (
            f"{self._select} WHERE name = %s AND source = %s ORDER BY id LIMIT 1"
        )

    def save(self, projection: Projection) -> None:
        row = projection_to_row(projection)
        with self._connection("save a projection to") as conn:
            conn.execute(self._save, [getattr(row, column) for column in PROJECTION_COLUMNS])

    def load(self, name: str, id: str) -> Projection | None:
        return self._one(self.load_statement, [name, id])

    def locate(self, name: str, source: Identifier) -> Projection | None:
        return self._one(self.locate_statement, [name, encode_source(source)])

    def search(self, query: Query) -> list[Projection]:
        where = compile_where(_DIALECT, query)
        order = compile_order(_DIALECT, query)
        statement = (
            Fragment(f"{self._select} WHERE ")
            + where
            + Fragment(" ORDER BY ")
            + order
            + Fragment(" LIMIT %s OFFSET %s", [query.limit, query.offset])
        )
        rows = self._read(statement.sql, _exact(statement.params))
        return [projection_from_row(ProjectionRow(*row)) for row in rows]

    def count(self, query: Query) -> int:
        where = compile_where(_DIALECT, Query(name=query.name, filters=query.filters))
        rows = self._read(f"{self._count} WHERE {where.sql}", _exact(where.params))
        return int(rows[0][0])

    def _one(self, statement: str, params: list[object]) -> Projection | None:
        rows = self._read(statement, params)
        return projection_from_row(ProjectionRow(*rows[0])) if rows else None
