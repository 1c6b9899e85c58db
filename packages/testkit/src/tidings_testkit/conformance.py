"""The whole conformance suite in one base class."""

from __future__ import annotations

from tidings_testkit.suites.concurrency import ConcurrencySuite
from tidings_testkit.suites.errors import ErrorSuite
from tidings_testkit.suites.model import ModelSuite
from tidings_testkit.suites.projections import ProjectionSuite
from tidings_testkit.suites.reading import ReadingSuite
from tidings_testkit.suites.stateful import StatefulSuite
from tidings_testkit.suites.writing import WritingSuite

__all__ = ["EventStoreSuite"]


class EventStoreSuite(
    ModelSuite,
    WritingSuite,
    ReadingSuite,
    ErrorSuite,
    ConcurrencySuite,
    StatefulSuite,
    ProjectionSuite,
):
    """Every rule of SEMANTICS. Subclass it as ``Test<YourAdapter>`` and set ``url``.

    The projection tests run only on adapters with ``Capability.PROJECTION_STORAGE``."""
