"""The PostgreSQL adapter for tidings: ``postgresql://user@host:5432/db?schema=events``."""

from __future__ import annotations

from tidings_postgres.adapter import PostgresAdapter
from tidings_postgres.options import PostgresOptions

__all__ = ["PostgresAdapter", "PostgresOptions"]
