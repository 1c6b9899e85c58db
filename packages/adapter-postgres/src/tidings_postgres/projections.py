"""Projection storage: upserts by (name, id), and searches compiled to SQL.

Searches and counts run entirely in SQL: :mod:`tidings._query.sql` with
:class:`~tidings_postgres.dialect.PostgresDialect`, every value a bound parameter.
:class:`ProjectionStatements` builds every statement and decodes every result, I/O-free;
each face's storage (in :mod:`~tidings_postgres.async_adapter`) only sends them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal

from tidings.adapters import (
    PROJECTION_COLUMNS,
    ExpectedRow,
    Fragment,
    Identifier,
    Projection,
    ProjectionRow,
    Query,
    compile_order,
    compile_where,
    encode_source,
    projection_from_row,
    projection_to_row,
)
from tidings_postgres.dialect import PostgresDialect
from tidings_postgres.plans import Plan, Rows, Statement
from tidings_postgres.schema import render_query

__all__ = ["ProjectionStatements", "count_of", "many", "one"]

_COLUMNS = ", ".join(PROJECTION_COLUMNS)
_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in PROJECTION_COLUMNS if c not in ("name", "id"))
_DIALECT = PostgresDialect()
_LOCK_CLASS = 0x74696467
"""The first key of the advisory locks that ``save_all_if`` takes (the two-key space
never meets the one-key locks of publishing)."""


IDLE_IN_CAS = "1000"
"""Milliseconds after which the server ends the session of a client that stopped inside
a ``save_all_if`` transaction (a paused or frozen process): its locks would otherwise
hold back every other member of its consumer group until it woke."""


def _lock_key(name: str, id: str) -> int:
    """A signed 32-bit key for the row (name, id); a collision only makes two
    compare-and-sets wait for each other."""
    digest = hashlib.blake2b(f"{name}\x00{id}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


def _exact(params: list[object]) -> list[object]:
    """Floats bound as the decimal their JSON text holds, so numbers compare as numeric
    (exact for big ints) and ``0.1`` equals a stored ``0.1``."""
    return [Decimal(repr(p)) if isinstance(p, float) else p for p in params]


def one(rows: Rows) -> Projection | None:
    """The projection in the first row, or None."""
    return projection_from_row(ProjectionRow(*rows[0])) if rows else None


def many(rows: Rows) -> list[Projection]:
    """The projection in each row."""
    return [projection_from_row(ProjectionRow(*row)) for row in rows]


def count_of(rows: Rows) -> int:
    """The result of a count."""
    return int(rows[0][0])


class ProjectionStatements:
    """The statements of the ``projections`` table of one schema; all are sent with
    parameters (a count without filters with an empty list), hence :func:`render_query`."""

    def __init__(self, schema: str) -> None:
        self._select = render_query(f"SELECT {_COLUMNS} FROM {{s}}.projections", schema)
        self._count = render_query("SELECT count(*) FROM {s}.projections", schema)
        self._save = render_query(
            f"INSERT INTO {{s}}.projections ({_COLUMNS}) VALUES ({', '.join(['%s'] * 9)})"
            f" ON CONFLICT (name, id) DO UPDATE SET {_UPDATES}",
            schema,
        )
        self.load_statement = f"{self._select} WHERE name = %s AND id = %s"
        self._insert = render_query(f"INSERT INTO {{s}}.projections ({_COLUMNS})", schema)
        self._on_conflict = f"ON CONFLICT (name, id) DO UPDATE SET {_UPDATES}"
        self._lock = (
            "SELECT set_config('idle_in_transaction_session_timeout', %s, true),"
            " count(pg_advisory_xact_lock(%s::int4, k))"
            " FROM (SELECT k FROM unnest(%s::int4[]) AS k ORDER BY k OFFSET 0) AS keys"
        )
        self._load_many = (
            f"{self._select} WHERE (name, id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
        )
        self.locate_statement = (
            f"{self._select} WHERE name = %s AND source = %s ORDER BY id LIMIT 1"
        )

    def save_all_if(
        self, projections: Sequence[Projection], expected: Sequence[ExpectedRow]
    ) -> Plan[bool]:
        """Compare-and-set, to run inside a transaction: lock each expected row's
        advisory key (in key order, so two callers never deadlock), read the rows, and
        upsert every projection in one statement only if each condition holds. The
        server ends the session if the client goes quiet in the transaction for
        :data:`IDLE_IN_CAS` ms."""
        if expected:
            keys = sorted({_lock_key(c.name, c.id) for c in expected})
            yield Statement(self._lock, [IDLE_IN_CAS, _LOCK_CLASS, keys])
            rows = yield Statement(
                self._load_many, [[c.name for c in expected], [c.id for c in expected]]
            )
            stored = {(p.name, p.id): p for p in many(rows)}
            if not all(c.holds(stored.get((c.name, c.id))) for c in expected):
                return False
        if projections:
            yield self.save_many(projections)
        return True

    def save_many(self, projections: Sequence[Projection]) -> Statement:
        """One upsert of distinct (name, id) rows."""
        values = ", ".join([f"({', '.join(['%s'] * len(PROJECTION_COLUMNS))})"] * len(projections))
        params: list[object] = []
        for projection in projections:
            row = projection_to_row(projection)
            params.extend(getattr(row, column) for column in PROJECTION_COLUMNS)
        return Statement(f"{self._insert} VALUES {values} {self._on_conflict}", params)

    def save(self, projection: Projection) -> Statement:
        row = projection_to_row(projection)
        return Statement(self._save, [getattr(row, column) for column in PROJECTION_COLUMNS])

    def load(self, name: str, id: str) -> Statement:
        return Statement(self.load_statement, [name, id])

    def locate(self, name: str, source: Identifier) -> Statement:
        return Statement(self.locate_statement, [name, encode_source(source)])

    def search(self, query: Query) -> Statement:
        statement = (
            Fragment(f"{self._select} WHERE ")
            + compile_where(_DIALECT, query)
            + Fragment(" ORDER BY ")
            + compile_order(_DIALECT, query)
            + Fragment(" LIMIT %s OFFSET %s", [query.limit, query.offset])
        )
        return Statement(statement.sql, _exact(list(statement.params)))

    def count(self, query: Query) -> Statement:
        where = compile_where(_DIALECT, Query(name=query.name, filters=query.filters))
        return Statement(f"{self._count} WHERE {where.sql}", _exact(list(where.params)))
