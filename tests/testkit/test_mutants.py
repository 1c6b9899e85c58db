"""Break the reference adapter on purpose and watch the conformance suite catch it.

Each mutant runs, on the sync face and on the async face (through ``ThreadBridge``, so
the concurrency tests race on real threads), only the suite that is meant to catch it:
the whole suite would catch it too, but would spend minutes shrinking failures. The
unbroken adapters run the same suites through the same harness and must pass, so a
mutant's failure is the mutation's doing, not the harness's. (The unbroken memory
adapter runs the whole suite in tests/conformance/test_memory.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .mutants import MUTANTS

SUITE = """
import pytest
from tidings import EventStore
from tidings.adapters import ThreadBridge
from tidings_testkit import StoreFactory, async_face_of
from tidings_testkit.suites.{module} import {suite}
from mutants import {name}


class TestSync({suite}):
    @pytest.fixture
    def make_store(self):
        factory = StoreFactory(lambda: EventStore({name}()))
        yield factory
        factory.close()


class TestAsync({suite}):
    @pytest.fixture
    def make_store(self):
        factory = StoreFactory(lambda: async_face_of(ThreadBridge({name}())))
        yield factory
        factory.close()
"""

CATCHERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "IgnoresConditions": ("WritingSuite", ()),
    "PositionsFromOne": ("WritingSuite", ()),
    "IgnoresAfter": ("ReadingSuite", ()),
    "IgnoresNames": ("ReadingSuite", ()),
    "IgnoresLimit": ("ReadingSuite", ()),
    "NotAtomicAcrossStreams": ("WritingSuite", ()),
    "WritesRetriesAgain": ("WritingSuite", ()),
    "LatestIsOldest": ("ReadingSuite", ()),
    "ChecksOutsideTheLock": ("ConcurrencySuite", ()),
    "InterleavesBatches": ("ConcurrencySuite", ()),
    "ChecksConditionBeforeTheWrite": (
        "ConcurrencySuite",
        ("test_a_successful_position_check_lands_right_after_that_position",),
    ),
    "ChecksIdsBeforeTheWrite": (
        "ConcurrencySuite",
        (
            "test_concurrent_retries_of_one_batch_store_it_exactly_once",
            "test_concurrent_publishes_of_one_batch_to_two_streams_store_it_once",
        ),
    ),
    "ScansEagerly": (
        "ReadingSuite",
        ("test_a_scan_reads_page_by_page_so_it_sees_events_published_while_it_runs",),
    ),
    "AtomicOnlyWithoutContention": (
        "ConcurrencySuite",
        ("test_multi_stream_publishes_racing_single_stream_writers_are_all_or_nothing",),
    ),
    "CommitIgnoresHeads": (
        "ConcurrencySuite",
        ("test_a_successful_position_check_lands_right_after_that_position",),
    ),
    "CommitIgnoresIds": (
        "ConcurrencySuite",
        ("test_concurrent_publishes_of_one_batch_to_two_streams_store_it_once",),
    ),
}
"""Each mutant: the suite that runs against it, and the tests built to catch it, one of
which must fail on each face (none named: any test of that suite may be the one)."""

MODULES = {
    "WritingSuite": "writing",
    "ReadingSuite": "reading",
    "ConcurrencySuite": "concurrency",
}


def _failures(
    pytester: pytest.Pytester, name: str, suite: str, only: tuple[str, ...] = ()
) -> tuple[set[str], int]:
    """Run ``suite`` (or ``only`` these of its tests) against adapter class ``name`` on
    both faces: the failed node ids (``TestSync::test_x``), and how many tests passed."""
    pytester.syspathinsert(Path(__file__).parent)
    pytester.makepyfile(test_mutant=SUITE.format(module=MODULES[suite], suite=suite, name=name))
    selection = ("-k", " or ".join(only)) if only else ()
    recorder = pytester.inline_run("-p", "no:cacheprovider", "-q", "-p", "no:randomly", *selection)
    assert recorder.getfailedcollections() == [], "the harness itself is broken"
    passed, _, failed = recorder.listoutcomes()
    return {report.nodeid.split("::", 1)[1].split("[")[0] for report in failed}, len(passed)


def test_every_mutant_has_a_catcher() -> None:
    assert sorted(CATCHERS) == sorted(m.__name__ for m in MUTANTS)


@pytest.mark.parametrize("mutant", [m.__name__ for m in MUTANTS])
def test_the_suite_catches_a_broken_adapter(pytester: pytest.Pytester, mutant: str) -> None:
    suite, catchers = CATCHERS[mutant]
    # Where the catchers are named, only they run: one of them must fail anyway.
    failed, _ = _failures(pytester, mutant, suite, catchers)
    for face in ("TestSync", "TestAsync"):
        caught = [test for test in failed if test.startswith(f"{face}::")]
        assert caught, f"{mutant} passed {suite} on {face}"
        if catchers:
            named = [c for c in catchers if f"{face}::{c}" in caught]
            assert named, f"{mutant} on {face}: caught only by {caught}"


@pytest.mark.parametrize("adapter", ["MemoryAdapter", "ThrowawayAdapter"])
@pytest.mark.parametrize("suite", sorted(MODULES))
def test_the_unbroken_adapters_pass_the_same_harness(
    pytester: pytest.Pytester, suite: str, adapter: str
) -> None:
    failed, passed = _failures(pytester, adapter, suite)  # mutants.py imports both
    assert failed == set()
    assert passed > 0
