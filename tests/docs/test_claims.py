"""What the READMEs say about the installed adapters is what ``tidings adapters`` prints."""

from __future__ import annotations

import re

import tidings

from .examples import ROOT


def _capabilities() -> dict[str, set[str]]:
    return {info.scheme: set(info.capabilities) for info in tidings.list_adapters()}


def test_the_readmes_adapters_table_matches_the_installed_adapters() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = re.search(r"\$ tidings adapters\n(?P<rows>.*?)```", text, re.DOTALL)
    assert table is not None, "README.md: the `$ tidings adapters` example is gone"
    rows = [line.split(maxsplit=4) for line in table["rows"].splitlines()[1:] if line.strip()]
    documented = {row[0].removesuffix("://"): set(row[4].split(", ")) for row in rows}
    assert documented == _capabilities()


def test_each_adapter_readme_names_its_capabilities() -> None:
    for scheme, capabilities in _capabilities().items():
        folder = "adapter-postgres" if scheme == "postgresql" else f"adapter-{scheme}"
        text = (ROOT / "packages" / folder / "README.md").read_text(encoding="utf-8")
        line = re.search(r"\*\*Capabilities\*\*: (?P<names>[^.]*)\.", text)
        if line is None:
            continue  # the README does not list them; nothing to keep true
        assert set(re.findall(r"`([a-z-]+)`", line["names"])) == capabilities, folder
