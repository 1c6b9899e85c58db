"""The whole conformance suite against SQLite: a temporary file and ``sqlite://``."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

import tidings
from tidings import Capability
from tidings_testkit import EventStoreSuite, StoreFactory, async_face_store


class TestSQLiteFile(EventStoreSuite):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Iterator[StoreFactory]:
        numbers = itertools.count()
        factory = StoreFactory(lambda: tidings.connect(f"sqlite:///{tmp_path}/{next(numbers)}.db"))
        yield factory
        factory.close()


class TestSQLiteMemory(EventStoreSuite):
    """``sqlite://`` is private to one store: it neither persists nor spans processes."""

    url = "sqlite://"
    capabilities = frozenset({Capability.PROJECTION_STORAGE})


class TestSQLiteFileAsync(EventStoreSuite):
    """The same suite through the async face: SQLite runs in the thread-pool bridge."""

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Iterator[StoreFactory]:
        numbers = itertools.count()
        factory = StoreFactory(
            lambda: async_face_store(f"sqlite:///{tmp_path}/async-{next(numbers)}.db")
        )
        yield factory
        factory.close()
