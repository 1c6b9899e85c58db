"""The docs site's hooks (``tools/mkdocs_hooks.py``): links that leave ``docs/`` point at
the repository, a missing file is reported, and guides join the nav by themselves."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .examples import ROOT

REPO_URL = "https://github.com/tidings/tidings"


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", ROOT / "tools/mkdocs_hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_link_out_of_docs_points_at_the_repository() -> None:
    hooks = _hooks()
    text = "[the suite](../packages/testkit/README.md#x) and [a page](concepts/model.md)"
    rewritten = hooks._rewrite_links(text, ROOT / "docs", "index.md", REPO_URL)
    assert rewritten == (
        f"[the suite]({REPO_URL}/blob/main/packages/testkit/README.md#x)"
        " and [a page](concepts/model.md)"
    )


def test_a_link_to_a_missing_file_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    hooks = _hooks()
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.tidings"):
        hooks._rewrite_links("[gone](../no/such/file.py)", ROOT / "docs", "index.md", REPO_URL)
    assert "does not exist" in caplog.text


def test_links_in_code_blocks_are_left_alone() -> None:
    hooks = _hooks()
    text = "```python\nx = '[a](../README.md)'\n```\n"
    assert hooks._rewrite_links(text, ROOT / "docs", "index.md", REPO_URL) == text


def test_guides_and_design_notes_join_the_nav(tmp_path: Path) -> None:
    hooks = _hooks()
    (tmp_path / "docs" / "guides").mkdir(parents=True)
    (tmp_path / "docs" / "design").mkdir()
    (tmp_path / "docs" / "guides" / "b.md").write_text("# Bee\n")
    (tmp_path / "docs" / "guides" / "a.md").write_text("# Ay\n")
    (tmp_path / "docs" / "design" / "c.md").write_text("# Sea\n")
    config: dict[str, Any] = {
        "config_file_path": str(tmp_path / "mkdocs.yml"),
        "docs_dir": str(tmp_path / "docs"),
        "nav": [
            {"How-to guides": [{"Listed": "guides/b.md"}]},
            {"API reference": [{"tidings": "reference/tidings.md"}]},
        ],
    }
    hooks.on_config(config)
    assert config["nav"] == [
        {"How-to guides": [{"Listed": "guides/b.md"}, {"Ay": "guides/a.md"}]},
        {"Design notes": [{"Sea": "design/c.md"}]},
        {"API reference": [{"tidings": "reference/tidings.md"}]},
    ]


def test_an_included_files_links_to_pages_are_relative_to_the_including_page() -> None:
    hooks = _hooks()
    text = "[the guide](../../docs/adapters.md)"
    rewritten = hooks._rewrite_links(
        text, ROOT / "packages" / "testkit", "x", REPO_URL, ROOT / "docs" / "howto"
    )
    assert rewritten == "[the guide](../adapters.md)"
