"""The SQL of one store's projections table: constant statements, and queries compiled
with the shared compiler of :mod:`tidings._query.sql` and the SQLite dialect."""

from __future__ import annotations

from dataclasses import dataclass

from tidings.adapters import (
    PROJECTION_COLUMNS,
    Fragment,
    Query,
    compile_order,
    compile_where,
)
from tidings_sqlite.options import quote_identifier, validate_identifier
from tidings_sqlite.query_dialect import ALIAS, SQLiteDialect

__all__ = ["PROJECTION_COLUMNS", "ProjectionNames", "ProjectionStatements"]


_SELECTED = ", ".join(f"{ALIAS}.{column}" for column in PROJECTION_COLUMNS)
_DIALECT = SQLiteDialect()


@dataclass(frozen=True, slots=True)
class ProjectionNames:
    """The projections table of an events table, and its index, named after it."""

    table: str
    source_index: str

    @classmethod
    def for_table(cls, events_table: str) -> ProjectionNames:
        table = f"{validate_identifier(events_table, 'table')}_projections"
        return cls(table=table, source_index=f"{table}_source")


@dataclass(frozen=True, slots=True)
class ProjectionStatements:
    """Every statement on one projections table, its name validated and quoted."""

    source: str
    upsert: str
    load: str
    locate: str

    @classmethod
    def for_table(cls, events_table: str) -> ProjectionStatements:
        quoted = quote_identifier(ProjectionNames.for_table(events_table).table)
        source = f"{quoted} AS {ALIAS}"
        columns = ", ".join(PROJECTION_COLUMNS)
        marks = ", ".join("?" for _ in PROJECTION_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in PROJECTION_COLUMNS[2:])
        return cls(
            source=source,
            upsert=(
                f"INSERT INTO {quoted} ({columns}) VALUES ({marks}) "
                f"ON CONFLICT (name, id) DO UPDATE SET {updates}"
            ),
            load=f"SELECT {_SELECTED} FROM {source} WHERE {ALIAS}.name = ? AND {ALIAS}.id = ?",
            locate=(
                f"SELECT {_SELECTED} FROM {source} WHERE {ALIAS}.name = ? AND {ALIAS}.source = ? "
                f"ORDER BY {ALIAS}.id LIMIT 1"
            ),
        )

    def search(self, query: Query) -> Fragment:
        """The query's projections, sorted and paged, all values bound."""
        where = compile_where(_DIALECT, query, f"{ALIAS}.name")
        order = compile_order(_DIALECT, query)
        limit = -1 if query.limit is None else query.limit
        return _bindable(
            Fragment(f"SELECT {_SELECTED} FROM {self.source} WHERE ")
            + where
            + Fragment(" ORDER BY ")
            + order
            + Fragment(" LIMIT ? OFFSET ?", [limit, query.offset])
        )

    def count(self, query: Query) -> Fragment:
        """How many projections match the query's name and filters."""
        unpaged = Query(name=query.name, filters=query.filters)
        where = compile_where(_DIALECT, unpaged, f"{ALIAS}.name")
        return _bindable(Fragment(f"SELECT count(*) FROM {self.source} WHERE ") + where)


def _bindable(fragment: Fragment) -> Fragment:
    """Integers beyond 64 bits bound as reals, as SQLite's JSON functions read them."""
    params = [
        float(value) if type(value) is int and not _INT64_MIN <= value <= _INT64_MAX else value
        for value in fragment.params
    ]
    return Fragment(fragment.sql, params)


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
