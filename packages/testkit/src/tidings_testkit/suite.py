"""The base of every conformance suite: fixtures, capability gating and an integrity guard.

A third party proves an adapter in a few lines::

    from tidings_testkit import EventStoreSuite

    class TestMyAdapter(EventStoreSuite):
        url = "mydb://localhost/test"

or, when each store needs its own file or schema, by overriding the ``make_store``
fixture to return a :class:`~tidings_testkit.StoreFactory` whose stores are opened with
:meth:`AdapterSuite.connect`. Stores opened that way can be reopened (the
``persistent`` test) and opened from other processes (the ``multi-process`` test); a
suite that only sets ``url`` gets a fresh store from every connect, so those tests skip.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

import pytest

import tidings
from tidings import Capability, EventStore
from tidings_testkit.factory import StoreFactory

__all__ = ["AdapterSuite", "Location", "SuiteIntegrityError", "requires"]

F = TypeVar("F", bound=Callable[..., Any])
REQUIRES_ATTRIBUTE = "__tidings_requires__"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a store lives: the config string and keyword options that opened it, so a
    test can open the same store again, in this process or in another one."""

    url: str
    options: Mapping[str, Any] = field(default_factory=dict)


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
    face: ClassVar[Literal["sync", "async"]] = "sync"
    """Which API the tests drive: :class:`~tidings.EventStore`, or
    :class:`~tidings.AsyncEventStore` behind a blocking view (``AsyncEventStoreSuite``)."""

    def connect(self, url: str, **options: Any) -> EventStore:
        """Open the store a test uses, on this suite's face, and remember where it lives.

        The sync suites call :func:`tidings.connect`; the async suites open an
        :class:`~tidings.AsyncEventStore` behind a blocking view. A ``make_store``
        fixture that opens its own URLs should open them with this, so the capability
        tests can reopen them and reach them from other processes.
        """
        if self.face == "async":
            from tidings_testkit.async_face import async_face_store

            store = async_face_store(url, **options)
        else:
            store = tidings.connect(url, **options)
        self._locations[id(store)] = Location(url, dict(options))
        return store

    @property
    def _locations(self) -> dict[int, Location | None]:
        """Where each store this test opened lives (None: nowhere it can be found again)."""
        found: dict[int, Location | None] | None = self.__dict__.get("_tidings_locations")
        if found is None:
            found = self.__dict__["_tidings_locations"] = {}
        return found

    def location(self, store: EventStore) -> Location:
        """Where ``store`` lives; skips the test when the suite cannot tell."""
        location = self._locations.get(id(store))
        if location is None:
            pytest.skip(
                "this suite cannot open its stores again: a suite that sets only `url` gets "
                "a fresh store from each connect. Override `make_store` to open each store "
                "at a location of its own with `self.connect(url, **options)`."
            )
        return location

    def reopen(self, make_store: Callable[[], EventStore], store: EventStore) -> EventStore:
        """Open the location of ``store`` again as a new store object, closed at teardown:
        with the factory's own ``reopen`` if it has one, else by connecting again."""
        if isinstance(make_store, StoreFactory) and make_store.can_reopen:
            return make_store.reopen(store)
        location = self.location(store)
        again = self.connect(location.url, **location.options)
        if isinstance(make_store, StoreFactory):
            make_store.adopt(again)
        return again

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

        def fresh() -> EventStore:
            store = self.connect(url)
            self._locations[id(store)] = None  # connecting to `url` again gives a fresh store
            return store

        factory = StoreFactory(fresh)
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
