"""The whole conformance suite against SQLite: a temporary file and ``sqlite://``, and a
file through the async face."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tidings_testkit import AsyncEventStoreSuite, EventStoreSuite, StoreFactory


class _SQLiteFiles:
    """A fresh database file per store, in the test's temporary folder."""

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Iterator[StoreFactory]:
        numbers = itertools.count()
        factory = StoreFactory(
            lambda: self.connect(f"sqlite:///{tmp_path}/{next(numbers)}.db")  # type: ignore[attr-defined]
        )
        yield factory
        factory.close()


class TestSQLiteFile(_SQLiteFiles, EventStoreSuite):
    pass


class TestSQLiteMemory(EventStoreSuite):
    """``sqlite://`` is private to one store: it neither persists nor spans processes,
    and such a store declares neither capability."""

    url = "sqlite://"


class TestSQLiteFileAsync(_SQLiteFiles, AsyncEventStoreSuite):
    """Through AsyncEventStore: SQLite runs in the thread-pool bridge."""
