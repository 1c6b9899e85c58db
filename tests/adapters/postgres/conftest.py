"""Fixtures for the PostgreSQL adapter's tests; the server comes from tests/postgres_server.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import tidings
from postgres_server import (
    SchemaFactory,
    postgres_url,
    schemas,
    throwaway_postgresql,
    throwaway_postgresql_as_postgres_user,
)
from tidings import EventStore

__all__ = [
    "postgres_url",
    "schemas",
    "store",
    "throwaway_postgresql",
    "throwaway_postgresql_as_postgres_user",
]


@pytest.fixture
def store(schemas: SchemaFactory) -> Iterator[EventStore]:
    """A store on a fresh schema, serialised at log level."""
    with tidings.connect(schemas.url()) as opened:
        yield opened
