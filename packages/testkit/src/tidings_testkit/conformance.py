"""The whole conformance suite in one base class."""

from __future__ import annotations

from tidings_testkit.suites.capabilities import CapabilitySuite
from tidings_testkit.suites.concurrency import ConcurrencySuite
from tidings_testkit.suites.errors import ErrorSuite
from tidings_testkit.suites.fuzz import FuzzSuite
from tidings_testkit.suites.leases import GroupSuite, LeaseSuite
from tidings_testkit.suites.model import ModelSuite
from tidings_testkit.suites.operations import OperationsSuite
from tidings_testkit.suites.projections import ProjectionSuite
from tidings_testkit.suites.reading import ReadingSuite
from tidings_testkit.suites.stateful import StatefulSuite
from tidings_testkit.suites.subscriptions import SubscriptionSuite
from tidings_testkit.suites.typed import TypedSuite
from tidings_testkit.suites.writing import WritingSuite

__all__ = ["AsyncEventStoreSuite", "EventStoreSuite"]


class EventStoreSuite(
    ModelSuite,
    WritingSuite,
    ReadingSuite,
    ErrorSuite,
    FuzzSuite,
    ConcurrencySuite,
    StatefulSuite,
    ProjectionSuite,
    CapabilitySuite,
    SubscriptionSuite,
    LeaseSuite,
    GroupSuite,
    TypedSuite,
    OperationsSuite,
):
    """Every rule of the contract (docs/contract.md). Subclass it as ``Test<YourAdapter>``
    and set ``url``.

    Tests that need a capability (projections, persistence, several processes, ordering
    levels) run only on stores that declare it, and prove it."""


class AsyncEventStoreSuite(EventStoreSuite):
    """Every rule again, through the async API: :class:`~tidings.AsyncEventStore`, its
    scopes and :class:`~tidings.AsyncProjectionStore`, on a loop of their own.

    Subclass it as ``Test<YourAdapter>Async`` beside the sync suite, with the same
    ``url`` (or a ``make_store`` fixture that opens stores with ``self.connect``)."""

    face = "async"
