"""eventsourcing's SQLite datastore at a chosen ``synchronous`` level.

eventsourcing has no synchronous option and leaves SQLite's default (FULL). For the
NORMAL row, the harness subclasses its connection pool to run one PRAGMA on each new
connection, so both systems are measured at the same durability.
"""

from __future__ import annotations

from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteDatastore

__all__ = ["sqlite_datastore"]


class _NormalSyncPool(SQLiteConnectionPool):
    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")
        return connection


def sqlite_datastore(path: str, synchronous: str) -> SQLiteDatastore:
    """A datastore for the file at ``path``; ``synchronous`` is ``full`` or ``normal``."""
    datastore = SQLiteDatastore(path)
    if synchronous == "normal":
        # The pool opens connections lazily, so the default one holds none yet.
        datastore.pool = _NormalSyncPool(db_name=path)
    return datastore
