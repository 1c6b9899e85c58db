"""The testkit's own guards: capability gating, strict xfails and the integrity check."""

from __future__ import annotations

import pytest

HEADER = """
from tidings_testkit import EventStoreSuite, ModelSuite, requires
from tidings_testkit.suites.model import ModelSuite as _Model
"""


def _run(pytester: pytest.Pytester, body: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_guard=HEADER + body)
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", *args)


def test_an_unknown_capability_is_a_collection_error(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
@requires("teleportation")
def test_x():
    pass
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown capability 'teleportation'*"])


def test_a_missing_capability_skips_with_a_reason(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
class TestGated(ModelSuite):
    url = "memory://"

    @requires("persistent")
    def test_needs_persistence(self, store):
        raise AssertionError("must not run on memory://")
""",
        "-k",
        "needs_persistence",
        "-rs",
    )
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*adapter lacks capability: persistent*"])


def test_a_declared_capability_runs_the_test(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
from tidings import Capability

class TestGated(ModelSuite):
    url = "memory://"
    capabilities = frozenset({Capability.PERSISTENT})

    @requires(Capability.PERSISTENT)
    def test_needs_persistence(self, store):
        raise AssertionError("ran")
""",
        "-k",
        "needs_persistence",
    )
    result.assert_outcomes(failed=1)


def test_deleting_a_suite_test_is_a_collection_error(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
class TestMine(ModelSuite):
    url = "memory://"
    test_a_given_id_is_kept = None
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*deleted conformance test 'test_a_given_id_is_kept'*"])


def test_overriding_a_suite_test_is_a_collection_error(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
class TestMine(ModelSuite):
    url = "memory://"
    def test_a_given_id_is_kept(self, store):
        pass
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*overridden conformance test 'test_a_given_id_is_kept'*"])


def test_expected_failures_run_as_strict_xfails(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
class TestMine(ModelSuite):
    url = "memory://"
    expected_failures = {"test_a_given_id_is_kept": "ids are not kept yet"}
""",
        "-k",
        "given_id",
    )
    # memory:// keeps ids, so the declared failure passes: strict xfail turns that into a failure
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*ids are not kept yet*"])


def test_an_expected_failure_that_fails_is_an_xfail(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
class TestMine(ModelSuite):
    url = "memory://"
    expected_failures = {"test_a_given_id_is_kept": "known bug"}
    def test_a_given_id_is_kept(self, store):
        raise AssertionError("the bug")
""",
        "-k",
        "given_id",
    )
    result.assert_outcomes(xfailed=1)


def test_expected_failures_must_name_real_tests(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
class TestMine(ModelSuite):
    url = "memory://"
    expected_failures = {"test_that_does_not_exist": "typo"}
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*test_that_does_not_exist*"])


def test_a_suite_without_url_or_factory_says_what_to_do(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "class TestMine(ModelSuite):\n    pass\n", "-k", "given_id")
    result.stdout.fnmatch_lines(["*must set `url` or override the `make_store` fixture*"])


def test_a_class_level_requirement_gates_only_that_class_tests(
    pytester: pytest.Pytester,
) -> None:
    result = _run(
        pytester,
        """
from tidings_testkit import AdapterSuite

@requires("persistent")
class NeedsPersistence(AdapterSuite):
    def test_gated(self, store):
        raise AssertionError("must not run on memory://")

class TestBoth(NeedsPersistence, ModelSuite):
    url = "memory://"
""",
        "-k",
        "gated or given_id",
    )
    result.assert_outcomes(passed=1, skipped=1)
