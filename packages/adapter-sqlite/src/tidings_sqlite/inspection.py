"""``statistics()`` of a SQLite store: counts, the schema version and the file's size,
by queries that only read."""

from __future__ import annotations

from sqlite_utils import Database

from tidings.adapters import StoreStatistics
from tidings_sqlite.location import Location
from tidings_sqlite.options import quote_identifier
from tidings_sqlite.schema import schema_version

__all__ = ["statistics"]


def statistics(db: Database, table: str, location: Location) -> StoreStatistics:
    """The events table's counts and schema version, and the size of the database file
    with its write-ahead log (None in memory)."""
    quoted = quote_identifier(table)
    events, streams, categories = db.conn.execute(
        f"SELECT (SELECT count(*) FROM {quoted}), "
        f"(SELECT count(*) FROM (SELECT DISTINCT category, stream FROM {quoted})), "
        f"(SELECT count(DISTINCT category) FROM {quoted})"
    ).fetchone()
    size = None
    if location.path is not None:
        size = sum(
            path.stat().st_size
            for path in (location.path, location.path.with_name(location.path.name + "-wal"))
            if path.exists()
        )
    return StoreStatistics(
        events=events,
        streams=streams,
        categories=categories,
        schema_version=schema_version(db, table),
        size_bytes=size,
    )
