"""tidings-testkit: the conformance suite every tidings adapter runs, plus test helpers.

Importing this package is cheap; the suites load pytest and Hypothesis when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tidings_testkit.async_face import BlockingView, async_face_of, async_face_store
    from tidings_testkit.builders import NewEventBuilder, StoredEventBuilder
    from tidings_testkit.conformance import AsyncEventStoreSuite, EventStoreSuite
    from tidings_testkit.factory import StoreFactory
    from tidings_testkit.reference import ReferenceAdapter
    from tidings_testkit.suite import AdapterSuite, Location, SuiteIntegrityError, requires
    from tidings_testkit.suites.capabilities import CapabilitySuite
    from tidings_testkit.suites.concurrency import ConcurrencySuite
    from tidings_testkit.suites.errors import ErrorSuite
    from tidings_testkit.suites.fuzz import FuzzSuite
    from tidings_testkit.suites.leases import GroupSuite, LeaseSuite
    from tidings_testkit.suites.model import ModelSuite
    from tidings_testkit.suites.projections import ProjectionSuite
    from tidings_testkit.suites.reading import ReadingSuite
    from tidings_testkit.suites.stateful import StatefulSuite
    from tidings_testkit.suites.subscriptions import SubscriptionSuite
    from tidings_testkit.suites.writing import WritingSuite

__all__ = [
    "AdapterSuite",
    "AsyncEventStoreSuite",
    "BlockingView",
    "CapabilitySuite",
    "ConcurrencySuite",
    "ErrorSuite",
    "EventStoreSuite",
    "FuzzSuite",
    "GroupSuite",
    "LeaseSuite",
    "Location",
    "ModelSuite",
    "NewEventBuilder",
    "ProjectionSuite",
    "ReadingSuite",
    "ReferenceAdapter",
    "StatefulSuite",
    "StoreFactory",
    "StoredEventBuilder",
    "SubscriptionSuite",
    "SuiteIntegrityError",
    "WritingSuite",
    "async_face_of",
    "async_face_store",
    "requires",
]

_HOMES = {
    "BlockingView": "async_face",
    "async_face_of": "async_face",
    "async_face_store": "async_face",
    "AdapterSuite": "suite",
    "SuiteIntegrityError": "suite",
    "Location": "suite",
    "requires": "suite",
    "StoreFactory": "factory",
    "ReferenceAdapter": "reference",
    "AsyncEventStoreSuite": "conformance",
    "EventStoreSuite": "conformance",
    "NewEventBuilder": "builders",
    "StoredEventBuilder": "builders",
    "CapabilitySuite": "suites.capabilities",
    "ConcurrencySuite": "suites.concurrency",
    "ErrorSuite": "suites.errors",
    "FuzzSuite": "suites.fuzz",
    "GroupSuite": "suites.leases",
    "LeaseSuite": "suites.leases",
    "ModelSuite": "suites.model",
    "ProjectionSuite": "suites.projections",
    "ReadingSuite": "suites.reading",
    "StatefulSuite": "suites.stateful",
    "SubscriptionSuite": "suites.subscriptions",
    "WritingSuite": "suites.writing",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'tidings_testkit' has no attribute {name!r}")
    return getattr(importlib.import_module(f"tidings_testkit.{home}"), name)
