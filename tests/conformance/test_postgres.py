"""The conformance suite against PostgreSQL: all of it at the default (log) ordering
level on both faces, and the suites that the level can change at the category and
stream levels, on both faces.

The server and the reused, emptied schemas come from tests/postgres_server.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest

from postgres_server import (
    SchemaPool,
    postgres_url,
    reused_schemas,
    schema_pool,
    schemas,
    throwaway_postgresql,
    throwaway_postgresql_as_postgres_user,
)
from tidings_testkit import (
    AsyncEventStoreSuite,
    ConcurrencySuite,
    EventStoreSuite,
    StatefulSuite,
    StoreFactory,
    WritingSuite,
)

__all__ = [
    "postgres_url",
    "reused_schemas",
    "schema_pool",
    "schemas",
    "throwaway_postgresql",
    "throwaway_postgresql_as_postgres_user",
]


class _PostgresSchemas:
    """An empty schema per store, at this class's ordering level."""

    ordering: ClassVar[str]

    @pytest.fixture
    def make_store(self, reused_schemas: SchemaPool) -> Iterator[StoreFactory]:
        connect = self.connect  # type: ignore[attr-defined]
        factory = StoreFactory(lambda: connect(reused_schemas.url(), ordering=self.ordering))
        yield factory
        factory.close()


class _OrderingSensitive(WritingSuite, ConcurrencySuite, StatefulSuite):
    """The suites whose code paths depend on the ordering level. The level decides only
    which advisory lock a publish takes: reading, the model, errors and projections run
    the same statements at every level, so they run once, at the default level, on each
    face, and the other levels run what the level can change."""


class TestPostgresLog(_PostgresSchemas, EventStoreSuite):
    ordering = "log"


class TestPostgresCategory(_PostgresSchemas, _OrderingSensitive):
    ordering = "category"


class TestPostgresStream(_PostgresSchemas, _OrderingSensitive):
    ordering = "stream"


class TestPostgresAsyncLog(_PostgresSchemas, AsyncEventStoreSuite):
    ordering = "log"


class TestPostgresAsyncCategory(_PostgresSchemas, _OrderingSensitive):
    ordering = "category"
    connect = AsyncEventStoreSuite.connect


class TestPostgresAsyncStream(_PostgresSchemas, _OrderingSensitive):
    ordering = "stream"
    connect = AsyncEventStoreSuite.connect
