"""Every Python example in the READMEs and the docs runs, in order within its page, as a
reader would paste it, against a fresh store (see ``examples.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .examples import Page, pages, parse, run

PAGES = [parse(path) for path in pages()]
RUNNABLE = [page for page in PAGES if page.blocks]


def test_the_readme_and_the_docs_have_examples() -> None:
    names = {page.name for page in RUNNABLE}
    assert "README.md" in names
    assert any(name.startswith("docs/") for name in names)
    assert sum(len(page.blocks) for page in RUNNABLE) >= 20


@pytest.mark.parametrize("page", RUNNABLE, ids=[page.name for page in RUNNABLE])
def test_a_page_runs_as_pasted(page: Page, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    env: dict[str, str] = {}
    if "postgresql" in page.markers:
        schemas = request.getfixturevalue("schemas")
        env["TIDINGS_URL"] = schemas.url()
    problem = run(page, tmp_path, env)
    if problem:
        pytest.fail(problem, pytrace=False)


def test_the_quick_start_runs_twice_in_one_folder(tmp_path: Path) -> None:
    # a reader runs it again: the SQLite file is kept, and the publish is a retry
    readme = next(page for page in PAGES if page.name == "README.md")
    quick_start = Page(path=readme.path, blocks=readme.blocks[:1], markers=readme.markers)
    assert run(quick_start, tmp_path, {}) == ""
    assert run(quick_start, tmp_path, {}) == ""
    assert (tmp_path / "events.db").exists()
