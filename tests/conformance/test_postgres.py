"""The whole conformance suite against PostgreSQL, at every ordering level, through the
sync face and through the native async face.

The server and the fresh schemas come from tests/postgres_server.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest

from postgres_server import (
    SchemaFactory,
    postgres_url,
    schemas,
    throwaway_postgresql,
    throwaway_postgresql_as_postgres_user,
)
from tidings_testkit import AsyncEventStoreSuite, EventStoreSuite, StoreFactory

__all__ = [
    "postgres_url",
    "schemas",
    "throwaway_postgresql",
    "throwaway_postgresql_as_postgres_user",
]


class _PostgresSchemas:
    """A fresh schema per store, at this class's ordering level."""

    ordering: ClassVar[str]

    @pytest.fixture
    def make_store(self, schemas: SchemaFactory) -> Iterator[StoreFactory]:
        connect = self.connect  # type: ignore[attr-defined]
        factory = StoreFactory(lambda: connect(schemas.url(), ordering=self.ordering))
        yield factory
        factory.close()


class TestPostgresLog(_PostgresSchemas, EventStoreSuite):
    ordering = "log"


class TestPostgresCategory(_PostgresSchemas, EventStoreSuite):
    ordering = "category"


class TestPostgresStream(_PostgresSchemas, EventStoreSuite):
    ordering = "stream"


class TestPostgresAsyncLog(_PostgresSchemas, AsyncEventStoreSuite):
    ordering = "log"


class TestPostgresAsyncCategory(_PostgresSchemas, AsyncEventStoreSuite):
    ordering = "category"


class TestPostgresAsyncStream(_PostgresSchemas, AsyncEventStoreSuite):
    ordering = "stream"
