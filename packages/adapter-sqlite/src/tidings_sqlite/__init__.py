"""The SQLite adapter for tidings: ``sqlite:///path.db``, the embedded default."""

from __future__ import annotations

from tidings_sqlite.adapter import SQLiteAdapter
from tidings_sqlite.options import SQLiteOptions, Synchronous
from tidings_sqlite.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "SQLiteAdapter", "SQLiteOptions", "Synchronous"]
