"""Looking at a schema without changing it: the check that a read-only store
(``?mode=ro``) makes instead of creating or migrating, and ``statistics()``. Sans-IO
plans, run by both faces; every statement only reads."""

from __future__ import annotations

from tidings.adapters import ConfigurationError, StoreStatistics
from tidings_postgres.migrations import schema_version_plan
from tidings_postgres.plans import Plan, Statement
from tidings_postgres.schema import SCHEMA_VERSION, render_query

__all__ = ["existing_schema_plan", "statistics_plan"]


def existing_schema_plan(schema: str, where: str) -> Plan[None]:
    """Raise :class:`~tidings.ConfigurationError` unless ``schema`` exists at this
    release's version; create and change nothing (``mode=ro``)."""
    version = yield from schema_version_plan(schema)
    if version is None:
        raise ConfigurationError(
            f"PostgreSQL at {where} has no tidings schema {schema!r}, and a read-only "
            "store (mode=ro) never creates one: check ?schema= in the config string, or "
            "create it by opening the store without mode=ro (`tidings init`)"
        )
    if version != SCHEMA_VERSION:
        newer = version > SCHEMA_VERSION
        raise ConfigurationError(
            f"the tidings schema {schema!r} on PostgreSQL at {where} is at version "
            f"{version}, {'newer' if newer else 'older'} than this release's "
            f"{SCHEMA_VERSION}, and a read-only store (mode=ro) never "
            + ("reads a newer one: upgrade tidings-postgres" if newer else "upgrades it: ")
            + ("" if newer else "upgrade it by opening the store without mode=ro (`tidings init`)")
        )


def statistics_plan(schema: str) -> Plan[StoreStatistics]:
    """Counts, the schema version and the schema's size on disk (tables, indexes and
    TOAST), in one round trip of catalogue and aggregate queries."""
    rows = yield Statement(
        render_query(
            "SELECT (SELECT count(*) FROM {s}.events), "
            "(SELECT count(*) FROM (SELECT DISTINCT category, stream FROM {s}.events) AS t), "
            "(SELECT count(DISTINCT category) FROM {s}.events), "
            "(SELECT max(version) FROM {s}.schema_version), "
            "(SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class AS c "
            "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'm'))",
            schema,
        ),
        [schema],
    )
    events, streams, categories, version, size = rows[0]
    return StoreStatistics(
        events=int(events),
        streams=int(streams),
        categories=int(categories),
        schema_version=None if version is None else int(version),
        size_bytes=None if size is None else int(size),
    )
