"""The whole conformance suite against the reference adapter, on both faces."""

from __future__ import annotations

from tidings_testkit import AsyncEventStoreSuite, EventStoreSuite


class TestMemory(EventStoreSuite):
    url = "memory://"


class TestMemoryAsync(AsyncEventStoreSuite):
    """Through AsyncEventStore (natively async on memory)."""

    url = "memory://"
