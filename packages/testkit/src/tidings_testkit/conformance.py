"""The whole conformance suite in one base class."""

from __future__ import annotations

from typing import Any

from tidings import EventStore
from tidings_testkit.async_face import async_face_store
from tidings_testkit.suites.concurrency import ConcurrencySuite
from tidings_testkit.suites.errors import ErrorSuite
from tidings_testkit.suites.model import ModelSuite
from tidings_testkit.suites.projections import ProjectionSuite
from tidings_testkit.suites.reading import ReadingSuite
from tidings_testkit.suites.stateful import StatefulSuite
from tidings_testkit.suites.writing import WritingSuite

__all__ = ["AsyncEventStoreSuite", "EventStoreSuite"]


class EventStoreSuite(
    ModelSuite,
    WritingSuite,
    ReadingSuite,
    ErrorSuite,
    ConcurrencySuite,
    StatefulSuite,
    ProjectionSuite,
):
    """Every rule of the contract (docs/contract.md). Subclass it as ``Test<YourAdapter>``
    and set ``url``.

    The projection tests run only on adapters with ``Capability.PROJECTION_STORAGE``."""


class AsyncEventStoreSuite(EventStoreSuite):
    """Every rule again, through the async API: :class:`~tidings.AsyncEventStore`, its
    scopes and :class:`~tidings.AsyncProjectionStore`, on a loop of their own.

    Subclass it as ``Test<YourAdapter>Async`` beside the sync suite, with the same
    ``url`` (or a ``make_store`` fixture that opens stores with ``self.connect``)."""

    def connect(self, url: str, **options: Any) -> EventStore:
        return async_face_store(url, **options)
