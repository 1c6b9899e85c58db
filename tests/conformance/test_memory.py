"""The whole conformance suite against the reference adapter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tidings_testkit import EventStoreSuite, StoreFactory, async_face_store


class TestMemory(EventStoreSuite):
    url = "memory://"


class TestMemoryAsync(EventStoreSuite):
    """The same suite through the async face (natively async on memory)."""

    @pytest.fixture
    def make_store(self) -> Iterator[StoreFactory]:
        factory = StoreFactory(lambda: async_face_store("memory://"))
        yield factory
        factory.close()
