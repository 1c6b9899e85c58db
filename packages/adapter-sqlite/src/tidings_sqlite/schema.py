"""The events and projections tables: created, checked and migrated with sqlite-utils.

The schema version is recorded in the database by sqlite-utils' migrations table
(``_sqlite_migrations``), under a migration set named after the events table: the
version is the number of migrations applied. A later release adds migrations to
:data:`MIGRATION_NAMES` and :func:`_migrations`, and every store upgrades on open.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.db import Table
from sqlite_utils.migrations import Migrations

from tidings.adapters import (
    ConfigurationError,
    StorageError,
)
from tidings_sqlite.location import Location
from tidings_sqlite.logs import schema_changed
from tidings_sqlite.projection_statements import PROJECTION_COLUMNS, ProjectionNames
from tidings_sqlite.rows import COLUMNS
from tidings_sqlite.statements import IndexNames
from tidings_sqlite.transactions import write_transaction

__all__ = ["MIGRATION_NAMES", "SCHEMA_VERSION", "ensure_schema", "schema_version"]

MIGRATION_NAMES = ("create_events_table", "create_projections_table")
"""Every migration this release knows, in order."""

SCHEMA_VERSION = len(MIGRATION_NAMES)
"""The schema version this release writes."""

_COLUMN_TYPES: dict[str, type] = {
    "sequence_number": int,
    "id": str,
    "category": str,
    "stream": str,
    "position": int,
    "name": str,
    "payload": str,
    "metadata": str,
    "occurred_at": int,
    "observed_at": int,
    "recorded_at": int,
}
assert tuple(_COLUMN_TYPES) == COLUMNS

_PROJECTION_TYPES: dict[str, type] = {
    "name": str,
    "id": str,
    "state": str,
    "source": str,
    "position": int,
    "sequence_number": int,
    "projector_version": int,
    "created_at": int,
    "updated_at": int,
}
assert tuple(_PROJECTION_TYPES) == PROJECTION_COLUMNS
_NULLABLE = {"source", "position", "sequence_number"}


def _migrations(table: str) -> Migrations:
    migrations = Migrations(f"tidings.{table}")
    indexes = IndexNames.for_table(table)

    @migrations(name=MIGRATION_NAMES[0])
    def create_events_table(db: Database) -> None:
        # sequence_number is the rowid: the log's order, and an implicit suffix of
        # every index, so the category and stream indexes are also ordered by it.
        events = _table(db, table).create(
            _COLUMN_TYPES, pk="sequence_number", not_null=set(_COLUMN_TYPES)
        )
        events.create_index(["id"], index_name=indexes.event_id, unique=True)
        events.create_index(
            ["category", "stream", "position"], index_name=indexes.stream_position, unique=True
        )
        events.create_index(["category", "sequence_number"], index_name=indexes.category_sequence)

    @migrations(name=MIGRATION_NAMES[1])
    def create_projections_table(db: Database) -> None:
        names = ProjectionNames.for_table(table)
        projections = _table(db, names.table).create(
            _PROJECTION_TYPES,
            pk=("name", "id"),
            not_null=set(_PROJECTION_TYPES) - _NULLABLE,
        )
        # locate: WHERE name = ? AND source = ? ORDER BY id LIMIT 1, from the index alone.
        projections.create_index(["name", "source", "id"], index_name=names.source_index)

    return migrations


def schema_version(db: Database, table: str) -> int:
    """How many of this table's migrations the database records (0: none)."""
    return len(_migrations(table).applied(db))


def ensure_schema(db: Database, location: Location, table: str) -> None:
    """Create or upgrade the events table, or refuse a database we must not touch.

    Checked read-only first, so a foreign table or a newer schema changes nothing.
    Creation runs inside ``BEGIN IMMEDIATE`` and checks again, so processes that open a
    new file at once create the schema exactly once. A read-only store only checks.
    """
    migrations = _migrations(table)
    if location.read_only:
        if _pending(db, migrations, location, table):
            raise ConfigurationError(
                f"{location.describe()} is open read-only and its table {table!r} does not "
                f"have this release's schema (version {SCHEMA_VERSION}), which a read-only "
                "store cannot create or upgrade; open it once with write access first"
            )
        return
    if not _pending(db, migrations, location, table):
        _use_wal(db, location)
        return
    _use_wal(db, location)
    before = None
    with write_transaction(db.conn):
        if _pending(db, migrations, location, table):
            before = schema_version(db, table)
            migrations.apply(db)
    if before is not None:
        schema_changed(location.describe(), table, before, SCHEMA_VERSION)


def _pending(db: Database, migrations: Migrations, location: Location, table: str) -> bool:
    applied = [migration.name for migration in migrations.applied(db)]
    unknown = [name for name in applied if name not in MIGRATION_NAMES]
    if unknown:
        raise ConfigurationError(
            f"the table {table!r} in {location.describe()} has schema migrations this "
            f"release does not know ({', '.join(unknown)}); it was written by a newer "
            "tidings-sqlite, so upgrade tidings-sqlite to open it"
        )
    created = {
        MIGRATION_NAMES[0]: table,
        MIGRATION_NAMES[1]: ProjectionNames.for_table(table).table,
    }
    for migration, name in created.items():
        if migration not in applied and _table(db, name).exists():
            raise ConfigurationError(
                f"{location.describe()} already has a table {name!r} that tidings did not "
                "create; choose another table with ?table=<name>, or another file"
            )
    return len(applied) < len(MIGRATION_NAMES)


def _use_wal(db: Database, location: Location) -> None:
    """Switch a file database to write-ahead logging, which is persistent in the file.

    WAL lets readers proceed while one writer commits, across processes.
    """
    if location.in_memory:
        return
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StorageError(
            f"{location.describe()} could not switch to WAL journal mode (got {mode!r}); "
            "tidings needs WAL for concurrent readers and writers"
        )


def _table(db: Database, name: str) -> Table:
    return db.table(name)
