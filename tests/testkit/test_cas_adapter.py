"""The compare-and-set path, proven: the throwaway adapter's backend can only compare
and set, and it publishes through ``OptimisticAdapter``. On the sync face and on the
async face through ``ThreadBridge`` it passes the whole conformance suite in
``test_third_party.py`` (installed alone, in a fresh environment); here it passes it
natively async, through ``AsyncOptimisticAdapter``, which runs the same plan with
awaited primitives."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tidings.adapters import (
    AsyncOptimisticAdapter,
    AsyncProjectionStorage,
    Commit,
    DirectBridge,
    Heads,
    Identifier,
    ScanRequest,
    StoredEvent,
    StreamIdentifier,
)
from tidings_testkit import AsyncEventStoreSuite, StoreFactory, async_face_of

sys.path.insert(0, str(Path(__file__).parent / "throwaway_adapter" / "src"))
from tidings_throwaway.adapter import ThrowawayAdapter


class AsyncThrowaway(AsyncOptimisticAdapter):
    """The throwaway backend behind awaited primitives, as a client such as
    ``redis.asyncio`` would serve them: publish is the core's async plan runner."""

    scheme = "throwaway-async"

    def __init__(self) -> None:
        self.sync = ThrowawayAdapter()
        self.capabilities = self.sync.capabilities
        self._projections = DirectBridge(self.sync).projections()

    @classmethod
    def from_url(cls, url: Any, options: Any) -> NoReturn:
        raise NotImplementedError

    async def read_heads(self, streams: Sequence[StreamIdentifier], ids: Collection[str]) -> Heads:
        return self.sync.read_heads(streams, ids)

    async def commit(self, commit: Commit) -> list[list[StoredEvent]] | None:
        return self.sync.commit(commit)

    async def scan(self, request: ScanRequest) -> AsyncIterator[StoredEvent]:
        for event in self.sync.scan(request):
            yield event

    async def latest(self, target: Identifier) -> StoredEvent | None:
        return self.sync.latest(target)

    def projections(self) -> AsyncProjectionStorage:
        return self._projections


class TestCompareAndSetNativeAsync(AsyncEventStoreSuite):
    @pytest.fixture
    def make_store(self) -> Iterator[StoreFactory]:
        factory = StoreFactory(lambda: async_face_of(AsyncThrowaway()))
        yield factory
        factory.close()
