"""The base of every conformance suite: fixtures, capability gating and an integrity guard.

A third party proves an adapter in a few lines::

    from tidings_testkit import EventStoreSuite

    class TestMyAdapter(EventStoreSuite):
        url = "mydb://localhost/test"

or, when each store needs its own file or schema, by overriding the ``make_store``
fixture to return a :class:`~tidings_testkit.StoreFactory`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

import pytest

import tidings
from tidings import Capability, EventStore
from tidings_testkit.factory import StoreFactory

__all__ = ["AdapterSuite", "SuiteIntegrityError", "requires"]

F = TypeVar("F", bound=Callable[..., Any])
REQUIRES_ATTRIBUTE = "__tidings_requires__"


class SuiteIntegrityError(TypeError):
    """A suite subclass deleted or overrode a conformance test without declaring it."""


def requires(*capabilities: Capability | str) -> Callable[[F], F]:
    """Run the test (or every test of a suite class) only on adapters that declare every
    one of ``capabilities``.

    An unknown capability name raises at import, so it is a collection error, never a
    silent skip.
    """
    resolved = frozenset(_capability(value) for value in capabilities)

    def mark(test: F) -> F:
        targets = [test]
        if isinstance(test, type):  # a suite class: mark the tests it defines, not its heirs
            targets = [v for k, v in vars(test).items() if k.startswith("test_") and callable(v)]
        for target in targets:
            already: frozenset[Capability] = getattr(target, REQUIRES_ATTRIBUTE, frozenset())
            setattr(target, REQUIRES_ATTRIBUTE, resolved | already)
        return test

    return mark


def _capability(value: Capability | str) -> Capability:
    if isinstance(value, Capability):
        return value
    try:
        return Capability(value)
    except ValueError:
        known = ", ".join(c.value for c in Capability)
        raise ValueError(f"unknown capability {value!r}; known capabilities: {known}") from None


class AdapterSuite:
    """Base class of the conformance suites. Subclass one, never this, in a ``Test*`` class.

    Class attributes a subclass may set:

    - ``url``: a config string that opens a fresh, empty store each time;
    - ``expected_failures``: ``{test_name: reason}``, run as strict xfails;
    - ``capabilities``: overrides the capabilities the adapter declares;
    - ``scan_page_size``: the most events the adapter's scans read at once (default
      1000); the laziness test writes two pages' worth.
    """

    url: ClassVar[str | None] = None
    expected_failures: ClassVar[Mapping[str, str]] = {}
    capabilities: ClassVar[frozenset[Capability] | None] = None
    scan_page_size: ClassVar[int] = 1000

    def connect(self, url: str, **options: Any) -> EventStore:
        """Open the store a test uses. The sync suites call :func:`tidings.connect`; the
        async suites open an :class:`~tidings.AsyncEventStore` behind a blocking view.
        A ``make_store`` fixture that opens its own URLs should open them with this."""
        return tidings.connect(url, **options)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _check_integrity(cls)

    @pytest.fixture
    def make_store(self) -> Iterator[Callable[[], EventStore]]:
        """A callable that opens a fresh, empty store; override it for per-test files."""
        if self.url is None:
            raise pytest.UsageError(
                f"{type(self).__name__} must set `url` or override the `make_store` fixture"
            )
        url = self.url
        factory = StoreFactory(lambda: self.connect(url))
        yield factory
        factory.close()

    @pytest.fixture
    def store(self, make_store: Callable[[], EventStore]) -> EventStore:
        """A fresh, empty store for one test."""
        return make_store()

    @pytest.fixture(autouse=True)
    def _gate_capabilities(self, request: pytest.FixtureRequest, store: EventStore) -> None:
        needed: frozenset[Capability] = getattr(request.function, REQUIRES_ATTRIBUTE, frozenset())
        declared = self.capabilities if self.capabilities is not None else store.capabilities
        missing = sorted(c.value for c in needed - declared)
        if missing:
            pytest.skip(f"adapter lacks capability: {', '.join(missing)}")


def suite_tests(cls: type) -> dict[str, Callable[..., Any]]:
    """The conformance tests a suite class inherits from the testkit's suites."""
    found: dict[str, Callable[..., Any]] = {}
    for base in reversed(cls.__mro__):
        if base.__module__.startswith("tidings_testkit.") and issubclass(base, AdapterSuite):
            for name, value in vars(base).items():
                if name.startswith("test_") and inspect.isfunction(value):
                    found[name] = value
    return found


def _check_integrity(cls: type[AdapterSuite]) -> None:
    if cls.__module__.startswith("tidings_testkit."):
        return
    tests = suite_tests(cls)
    unknown = sorted(set(cls.expected_failures) - set(tests))
    if unknown:
        raise SuiteIntegrityError(
            f"{cls.__name__}.expected_failures names tests the suite does not have: {unknown}"
        )
    for name, original in tests.items():
        current = getattr(cls, name, None)
        if current is original:
            continue
        if name in cls.expected_failures:
            continue
        what = "deleted" if not callable(current) else "overridden"
        raise SuiteIntegrityError(
            f"{cls.__name__} {what} conformance test {name!r}; declare it in "
            "expected_failures with a reason instead"
        )
