"""The whole conformance suite against PostgreSQL, at every ordering level.

The server and the fresh schemas come from tests/postgres_server.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest

import tidings
from postgres_server import (
    SchemaFactory,
    postgres_url,
    schemas,
    throwaway_postgresql,
    throwaway_postgresql_as_postgres_user,
)
from tidings_testkit import EventStoreSuite, StoreFactory

__all__ = [
    "postgres_url",
    "schemas",
    "throwaway_postgresql",
    "throwaway_postgresql_as_postgres_user",
]


class _PostgresSuite(EventStoreSuite):
    ordering: ClassVar[str]

    @pytest.fixture
    def make_store(self, schemas: SchemaFactory) -> Iterator[StoreFactory]:
        factory = StoreFactory(lambda: tidings.connect(schemas.url(), ordering=self.ordering))
        yield factory
        factory.close()


class TestPostgresLog(_PostgresSuite):
    ordering = "log"


class TestPostgresCategory(_PostgresSuite):
    ordering = "category"


class TestPostgresStream(_PostgresSuite):
    ordering = "stream"
