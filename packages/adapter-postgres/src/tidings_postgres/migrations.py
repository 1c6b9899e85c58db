"""Creating the schema on first use, and migrating older ones, safely when several
processes start at once."""

from __future__ import annotations

from typing import Any

import psycopg

from tidings.errors import ConfigurationError
from tidings_postgres.schema import SCHEMA_VERSION, ddl, render

__all__ = ["ensure_schema"]


def _version(conn: psycopg.Connection[tuple[Any, ...]], schema: str) -> int | None:
    table = render("{s}.schema_version", schema)
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()
    if row is None or not row[0]:
        return None
    found = conn.execute(render("SELECT max(version) FROM {s}.schema_version", schema)).fetchone()
    return None if found is None else found[0]


def ensure_schema(conn: psycopg.Connection[tuple[Any, ...]], schema: str) -> None:
    """Create ``schema`` at :data:`SCHEMA_VERSION`, or migrate it there; idempotent.

    Creation runs in one transaction under an advisory lock keyed by the schema name, so
    two processes starting at once create it once, and a reader of the version never
    sees a half-built schema. The lock is a session lock taken before the transaction
    begins, so that the transaction's catalog lookups see what the previous holder
    committed. An older schema gets only the steps after its version, and keeps its
    events. A schema from a newer release is refused, not downgraded.
    """
    if _version(conn, schema) == SCHEMA_VERSION:
        return
    key = f"tidings:{schema}:schema"
    conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [key])
    try:
        with conn.transaction():
            version = _version(conn, schema)
            if version is not None and version > SCHEMA_VERSION:
                raise ConfigurationError(
                    f"schema {schema!r} is at version {version}, newer than this release of "
                    f"tidings-postgres supports ({SCHEMA_VERSION}); upgrade tidings-postgres"
                )
            if version == SCHEMA_VERSION:
                return
            conn.execute(ddl(schema, after=version or 0).encode())
            conn.execute(
                render(
                    "INSERT INTO {s}.schema_version (version) VALUES (%s) ON CONFLICT DO NOTHING",
                    schema,
                ),
                [SCHEMA_VERSION],
            )
    finally:
        if not conn.closed:
            conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
