"""The capability tests can fail: a store that claims a capability it lacks is caught,
and a suite that cannot reopen its stores says why it skips."""

from __future__ import annotations

import pytest

CLAIMS = """
import itertools
import pytest
from tidings import Capability
from tidings_testkit import CapabilitySuite, StoreFactory

names = itertools.count()


class TestClaims(CapabilitySuite):
    capabilities = frozenset(Capability)

    @pytest.fixture
    def make_store(self):
        # memory://<name> is one store per name, but only inside one process, and gone
        # with the process: it is neither persistent nor shared between processes.
        factory = StoreFactory(lambda: self.connect(f"memory://claims-{next(names)}"))
        yield factory
        factory.close()
"""


def test_false_capability_claims_fail(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_claims=CLAIMS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-p", "no:randomly")
    result.assert_outcomes(failed=2, passed=1)
    # memory://<name> keeps its events while the process runs, so reopening it in the
    # same process passes; other processes see their own, empty memory:// store...
    result.stdout.fnmatch_lines(["*FAILED*test_writers_in_several_processes_keep_every_rule*"])
    # ...and memory:// takes no ordering option.
    result.stdout.fnmatch_lines(["*FAILED*test_tailing_readers_never_miss_*_every_ordering_level*"])


def test_a_store_that_loses_its_events_fails_the_persistence_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_forgets="""
import pytest
from tidings import Capability
from tidings_testkit import CapabilitySuite, StoreFactory


class TestForgets(CapabilitySuite):
    capabilities = frozenset({Capability.PERSISTENT})

    @pytest.fixture
    def make_store(self):
        factory = StoreFactory(lambda: self.connect("memory://"))
        yield factory
        factory.close()
"""
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-k", "survive")
    result.assert_outcomes(failed=1)


def test_a_suite_with_only_a_url_skips_saying_why(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_url_only="""
from tidings import Capability
from tidings_testkit import CapabilitySuite


class TestUrlOnly(CapabilitySuite):
    url = "memory://"
    capabilities = frozenset(Capability)
"""
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-rs")
    result.assert_outcomes(skipped=3)
    result.stdout.fnmatch_lines(["*cannot open its stores again*self.connect(url, **options)*"])


def test_a_factory_may_reopen_its_stores_itself(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_reopen="""
import pytest
from tidings import Capability, EventStore
from tidings_memory import MemoryAdapter
from tidings_testkit import CapabilitySuite, StoreFactory


class TestReopens(CapabilitySuite):
    capabilities = frozenset({Capability.PERSISTENT})

    @pytest.fixture
    def make_store(self):
        adapters = {}

        def open_store():
            adapter = MemoryAdapter()
            store = EventStore(adapter)
            adapters[id(store)] = adapter._log
            return store

        def reopen(store):
            again = MemoryAdapter()
            again._log = adapters[id(store)]
            return EventStore(again)

        factory = StoreFactory(open_store, reopen=reopen)
        yield factory
        factory.close()
"""
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-k", "survive")
    result.assert_outcomes(passed=1)
