"""Break the reference adapter on purpose and watch the conformance suite catch it."""

from __future__ import annotations

from pathlib import Path

import pytest

from .mutants import MUTANTS

SUITE = """
import pytest
from tidings import EventStore
from tidings_testkit import EventStoreSuite, StoreFactory
from mutants import {name}


class TestMutant(EventStoreSuite):
    @pytest.fixture
    def make_store(self):
        factory = StoreFactory(lambda: EventStore({name}()))
        yield factory
        factory.close()
"""


@pytest.mark.parametrize("mutant", [m.__name__ for m in MUTANTS])
def test_the_suite_catches_a_broken_adapter(pytester: pytest.Pytester, mutant: str) -> None:
    pytester.syspathinsert(Path(__file__).parent)
    pytester.makepyfile(test_mutant=SUITE.format(name=mutant))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-p", "no:randomly")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1, result.stdout.str()[-2000:]


def test_the_unbroken_reference_adapter_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_reference="""
from tidings_testkit import EventStoreSuite

class TestReference(EventStoreSuite):
    url = "memory://"
"""
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    assert result.parseoutcomes().get("failed", 0) == 0
    assert result.parseoutcomes()["passed"] >= 90
