"""Creating the schema on first use, and migrating older ones, safely when several
processes start at once. A sans-IO plan, run by both faces on an autocommit connection."""

from __future__ import annotations

from contextlib import suppress

import psycopg

from tidings.adapters import (
    ConfigurationError,
)
from tidings_postgres.logs import schema_changed
from tidings_postgres.plans import Plan, Statement, in_transaction
from tidings_postgres.schema import SCHEMA_VERSION, ddl, render, render_query

__all__ = ["schema_plan", "schema_version_plan"]

_LOCK = "SELECT pg_advisory_lock(hashtextextended(%s, 0))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended(%s, 0))"


def schema_version_plan(schema: str) -> Plan[int | None]:
    """The schema's version, or None when it has no tidings schema; reads only."""
    # The table's name is a parameter here, and the next statement has none: both take
    # the name as it is. Only statements sent with parameters need render_query.
    table = render("{s}.schema_version", schema)
    rows = yield Statement("SELECT to_regclass(%s) IS NOT NULL", [table])
    if not rows or not rows[0][0]:
        return None
    found = yield Statement(render("SELECT max(version) FROM {s}.schema_version", schema))
    return found[0][0] if found else None


def _migrate(schema: str) -> Plan[tuple[bool, int | None]]:
    """Bring the schema to this version; whether it changed it, and from which version."""
    version = yield from schema_version_plan(schema)
    if version is not None and version > SCHEMA_VERSION:
        raise ConfigurationError(
            f"schema {schema!r} is at version {version}, newer than this release of "
            f"tidings-postgres supports ({SCHEMA_VERSION}); upgrade tidings-postgres"
        )
    if version == SCHEMA_VERSION:
        return False, version
    yield Statement(ddl(schema, after=version or 0).encode())
    yield Statement(
        render_query(
            "INSERT INTO {s}.schema_version (version) VALUES (%s) ON CONFLICT DO NOTHING", schema
        ),
        [SCHEMA_VERSION],
    )
    return True, version


def schema_plan(schema: str) -> Plan[bool]:
    """Create ``schema`` at :data:`SCHEMA_VERSION`, or migrate it there; idempotent.
    True if it was not there at that version when looked at (this call or another
    process created or migrated it just now).

    Creation runs in one transaction under an advisory lock keyed by the schema name, so
    two processes starting at once create it once, and a reader of the version never
    sees a half-built schema. The lock is a session lock taken before the transaction
    begins, so that the transaction's catalog lookups see what the previous holder
    committed. An older schema gets only the steps after its version, and keeps its
    events. A schema from a newer release is refused, not downgraded.
    """
    if (yield from schema_version_plan(schema)) == SCHEMA_VERSION:
        return False
    key = [f"tidings:{schema}:schema"]
    yield Statement(_LOCK, key)
    try:
        changed, before = yield from in_transaction(_migrate(schema))
    finally:
        with suppress(psycopg.Error):  # a lost session has released it already
            yield Statement(_UNLOCK, key)
    if changed:  # committed: another process may have done it meanwhile
        schema_changed(schema, before, SCHEMA_VERSION)
    return True
