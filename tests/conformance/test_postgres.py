"""The whole conformance suite against PostgreSQL, at every ordering level, through the
sync face and through the native async face.

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
from tidings_testkit import EventStoreSuite, StoreFactory, async_face_store

__all__ = [
    "postgres_url",
    "schemas",
    "throwaway_postgresql",
    "throwaway_postgresql_as_postgres_user",
]


class _PostgresSuite(EventStoreSuite):
    ordering: ClassVar[str]
    native_async: ClassVar[bool] = False

    @pytest.fixture
    def make_store(self, schemas: SchemaFactory) -> Iterator[StoreFactory]:
        open_store = async_face_store if self.native_async else tidings.connect
        factory = StoreFactory(lambda: open_store(schemas.url(), ordering=self.ordering))
        yield factory
        factory.close()


class TestPostgresLog(_PostgresSuite):
    ordering = "log"


class TestPostgresCategory(_PostgresSuite):
    ordering = "category"


class TestPostgresStream(_PostgresSuite):
    ordering = "stream"


class TestPostgresAsyncLog(_PostgresSuite):
    ordering = "log"
    native_async = True


class TestPostgresAsyncCategory(_PostgresSuite):
    ordering = "category"
    native_async = True


class TestPostgresAsyncStream(_PostgresSuite):
    ordering = "stream"
    native_async = True
