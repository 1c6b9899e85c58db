"""The whole conformance suite against the reference adapter."""

from __future__ import annotations

from tidings_testkit import EventStoreSuite


class TestMemory(EventStoreSuite):
    url = "memory://"
