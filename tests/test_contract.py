"""docs/contract.md stays honest: every rule once, each pinned by testkit tests that exist.

The checker reads the suite files with :mod:`ast`; nothing is imported and no store is
opened, so this runs in well under a second.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONTRACT = REPO / "docs" / "contract.md"
SUITES = REPO / "packages" / "testkit" / "src" / "tidings_testkit" / "suites"
RULE_COUNT = 32

RULE_HEADING = re.compile(r"^### Rule (\d+): \S.*$")
ANY_RULE_HEADING = re.compile(r"^#{1,6}\s*Rule\b", re.IGNORECASE)
ANY_HEADING = re.compile(r"^#{1,6} ")
TESTS_LINE = re.compile(r"^Tests:")
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
LABEL = re.compile(r"^([A-Za-z_]\w*)\.(test_\w+)$")


@dataclass(frozen=True, slots=True)
class Link:
    """One markdown link listed under a rule's ``Tests:`` line."""

    rule: int
    label: str
    target: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``### Rule N: title`` section of the contract."""

    number: int
    title: str
    body: list[str]

    @property
    def has_tests_line(self) -> bool:
        return any(TESTS_LINE.match(line) for line in self.body)

    def links(self) -> list[Link]:
        """The links from the ``Tests:`` line to the end of the section."""
        found: list[Link] = []
        listing = False
        for line in self.body:
            listing = listing or bool(TESTS_LINE.match(line))
            if listing:
                found += [Link(self.number, label, target) for label, target in LINK.findall(line)]
        return found


def parse_rules(text: str) -> tuple[list[Rule], list[str]]:
    """The rule sections of ``text`` in order, and the rule headings that are malformed."""
    rules: list[Rule] = []
    malformed: list[str] = []
    current: Rule | None = None
    for line in text.splitlines():
        if ANY_HEADING.match(line):
            current = None
            heading = RULE_HEADING.match(line)
            if heading:
                title = line.split(":", 1)[1].strip()
                current = Rule(int(heading.group(1)), title, [])
                rules.append(current)
            elif ANY_RULE_HEADING.match(line):
                malformed.append(line)
        elif current is not None:
            current.body.append(line)
    return rules, malformed


@cache
def suite_methods(path: Path) -> dict[str, frozenset[str]]:
    """Each class defined at the top level of ``path``, with the methods its body defines."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {
        node.name: frozenset(
            item.name
            for item in node.body
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
        )
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    }


def link_problems(link: Link, base: Path, suites: Path = SUITES) -> list[str]:
    """Why ``link`` (relative to the directory ``base``) does not name a suite test."""
    where = f"rule {link.rule}: [{link.label}]({link.target})"
    label = LABEL.match(link.label)
    if label is None:
        return [f"{where}: the label is not SuiteClass.test_name"]
    path = (base / link.target).resolve()
    if path.parent != suites.resolve() or path.suffix != ".py":
        return [f"{where}: the target is not a .py file in {suites}"]
    if not path.is_file():
        return [f"{where}: no such file"]
    class_name, method = label.groups()
    classes = suite_methods(path)
    if class_name not in classes:
        return [f"{where}: {path.name} defines no class {class_name}"]
    if method not in classes[class_name]:
        return [f"{where}: {class_name} in {path.name} defines no method {method}"]
    return []


def check_contract(
    text: str, base: Path, rule_count: int = RULE_COUNT, suites: Path = SUITES
) -> list[str]:
    """Every problem with a contract document whose links are relative to ``base``."""
    rules, malformed = parse_rules(text)
    problems = [f"malformed rule heading: {line!r}" for line in malformed]
    counts = Counter(rule.number for rule in rules)
    for number in range(1, rule_count + 1):
        if counts[number] == 0:
            problems.append(f"rule {number} is missing")
        elif counts[number] > 1:
            problems.append(f"rule {number} appears {counts[number]} times")
    problems += [
        f"rule {number} is not one of 1..{rule_count}"
        for number in sorted(counts)
        if not 1 <= number <= rule_count
    ]
    for rule in rules:
        if not rule.has_tests_line:
            problems.append(f"rule {rule.number} has no Tests: line")
        elif not rule.links():
            problems.append(f"rule {rule.number} links no test")
        for link in rule.links():
            problems += link_problems(link, base, suites)
    return problems


@pytest.fixture(scope="module")
def contract() -> str:
    return CONTRACT.read_text(encoding="utf-8")


def test_every_rule_appears_exactly_once(contract: str) -> None:
    rules, malformed = parse_rules(contract)
    assert malformed == []
    assert [rule.number for rule in rules] == list(range(1, RULE_COUNT + 1))
    assert all(rule.title for rule in rules)


def test_every_rule_links_at_least_one_test(contract: str) -> None:
    rules, _ = parse_rules(contract)
    assert [rule.number for rule in rules if not rule.links()] == []


def test_every_link_names_a_test_its_suite_file_defines(contract: str) -> None:
    rules, _ = parse_rules(contract)
    links = [link for rule in rules for link in rule.links()]
    assert len(links) >= RULE_COUNT
    problems = [problem for link in links for problem in link_problems(link, CONTRACT.parent)]
    assert problems == []


def test_the_whole_check_passes_on_the_contract(contract: str) -> None:
    assert check_contract(contract, CONTRACT.parent) == []


# The checker itself must be able to fail.

SUITE_LINK = "../packages/testkit/src/tidings_testkit/suites/{file}"
GOOD_TEST = "[ModelSuite.test_identifiers_are_values]({target})".format(
    target=SUITE_LINK.format(file="model.py")
)


def _document(sections: dict[int, str]) -> str:
    """A contract with the given rule bodies, in the order given."""
    return "\n".join(
        f"# Contract\n\n### Rule {number}: title {number}\n\n{body}\n"
        for number, body in sections.items()
    )


def _good_sections() -> dict[int, str]:
    return dict.fromkeys(range(1, RULE_COUNT + 1), f"Some rule.\n\nTests:\n- {GOOD_TEST}")


def test_the_checker_accepts_a_minimal_good_document() -> None:
    assert check_contract(_document(_good_sections()), CONTRACT.parent) == []


def test_the_checker_reports_every_kind_of_problem() -> None:
    sections = _good_sections()
    del sections[5]
    sections[9] = "A rule with no tests."
    sections[10] = "Tests: none yet"
    sections[11] = "Tests: [ModelSuite.test_no_such_test]({})".format(
        SUITE_LINK.format(file="model.py")
    )
    sections[12] = "Tests: [WritingSuite.test_publish_appends_the_batch_in_order]({})".format(
        SUITE_LINK.format(file="model.py")
    )
    sections[13] = "Tests: [ModelSuite.test_identifiers_are_values]({})".format(
        SUITE_LINK.format(file="nowhere.py")
    )
    sections[14] = "Tests: [the model tests]({})".format(SUITE_LINK.format(file="model.py"))
    sections[15] = "Tests: [ModelSuite.test_identifiers_are_values](../README.md)"
    text = _document(sections)
    text += "\n### Rule 7: again\n\nTests:\n- " + GOOD_TEST + "\n"
    text += f"\n### Rule {RULE_COUNT + 1}: beyond\n\nTests:\n- " + GOOD_TEST + "\n"
    text += "\n## Rule 16 - wrong heading\n"
    problems = check_contract(text, CONTRACT.parent)

    def reported(fragment: str) -> bool:
        return any(fragment in problem for problem in problems)

    assert reported("rule 5 is missing")
    assert reported("rule 7 appears 2 times")
    assert reported(f"rule {RULE_COUNT + 1} is not one of 1..{RULE_COUNT}")
    assert reported("malformed rule heading: '## Rule 16 - wrong heading'")
    assert reported("rule 9 has no Tests: line")
    assert reported("rule 10 links no test")
    assert reported("rule 11: [ModelSuite.test_no_such_test]")
    assert reported("ModelSuite in model.py defines no method test_no_such_test")
    assert reported("model.py defines no class WritingSuite")
    assert reported("rule 13: [ModelSuite.test_identifiers_are_values]")
    assert reported("no such file")
    assert reported("rule 14: [the model tests]")
    assert reported("the label is not SuiteClass.test_name")
    assert reported("rule 15: [ModelSuite.test_identifiers_are_values](../README.md)")
    assert len(problems) == 11, problems


def test_the_checker_reads_methods_with_ast(tmp_path: Path) -> None:
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "fake.py").write_text(
        "def test_module_level() -> None: ...\n"
        "class FakeSuite:\n"
        "    async def test_async(self) -> None: ...\n"
        "    def helper(self) -> None:\n"
        "        def test_nested() -> None: ...\n"
        "    test_assigned = helper\n"
        "class OtherSuite:\n"
        "    def test_elsewhere(self) -> None: ...\n"
        '    """FakeSuite.test_in_text"""\n',
        encoding="utf-8",
    )
    base = tmp_path / "docs"

    def problems(label: str) -> list[str]:
        return link_problems(Link(1, label, "../suites/fake.py"), base, suites)

    assert problems("FakeSuite.test_async") == []
    assert problems("OtherSuite.test_elsewhere") == []
    for missing in ("test_module_level", "test_nested", "test_assigned", "test_elsewhere"):
        assert problems(f"FakeSuite.{missing}") != [], missing
    assert problems("FakeSuite.test_in_text") != []
