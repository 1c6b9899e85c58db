"""Find the Python examples of a Markdown page and run them as a reader would.

A page's ```` ```python ```` blocks run in order, in one namespace, in a fresh
interpreter whose working directory is a fresh, empty folder: exactly what a reader gets
who pastes them, one after the other, into a new file. Tracebacks name the page and the
line of the Markdown file, so a failure points at the text to fix.

A page whose examples need a PostgreSQL server says so with the comment
``<!-- docs-test: postgresql -->`` (and says so in its text); its examples read the
server's config string from ``TIDINGS_URL``, which the test sets to a fresh schema.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\n`]*)$")
PYTHON_INFO = {"python", "py", "python3"}
MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<words>[^>]*?)\s*-->")
KNOWN_MARKERS = {"postgresql"}


@dataclass(frozen=True)
class Block:
    """One Python example: its source, dedented, and the line it starts on (1-based)."""

    line: int
    source: str


@dataclass(frozen=True)
class Page:
    """A Markdown page, its Python examples in order, and the markers it declares."""

    path: Path
    blocks: tuple[Block, ...]
    markers: frozenset[str]

    @property
    def name(self) -> str:
        return self.path.relative_to(ROOT).as_posix()


def pages() -> list[Path]:
    """Every page whose examples must run: the READMEs and the docs."""
    found = [ROOT / "README.md", *sorted((ROOT / "packages").glob("*/README.md"))]
    found += sorted((ROOT / "docs").rglob("*.md"))
    return found


def parse(path: Path) -> Page:
    """The Python blocks and markers of the page at ``path``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        language = opening["info"].strip().split(" ")[0].lower() if opening["info"] else ""
        body: list[str] = []
        index += 1
        start = index + 1
        while index < len(lines):
            closing = FENCE.match(lines[index])
            if (
                closing is not None
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["info"].strip()
            ):
                break
            text = lines[index]
            body.append(text[len(indent) :] if text.startswith(indent) else text.lstrip())
            index += 1
        else:
            raise ValueError(f"{path}:{start - 1}: a code block is never closed")
        index += 1
        if language in PYTHON_INFO:
            blocks.append(Block(line=start, source="\n".join(body) + "\n"))
    markers: set[str] = set()
    for found in MARKER.finditer("\n".join(lines)):
        words = set(found["words"].split())
        unknown = words - KNOWN_MARKERS
        if unknown:
            raise ValueError(f"{path}: unknown docs-test marker(s) {sorted(unknown)}")
        markers |= words
    return Page(path=path, blocks=tuple(blocks), markers=frozenset(markers))


# Runs in the child interpreter: each block is compiled with the page's file name and
# padded so that its line numbers are the Markdown file's.
_RUNNER = """
import json, sys
page, blocks = json.loads(sys.stdin.read())
namespace = {"__name__": "__main__"}
for line, source in blocks:
    exec(compile("\\n" * (line - 1) + source, page, "exec"), namespace)
"""


def run(page: Page, workdir: Path, env_extra: dict[str, str], timeout: float = 120) -> str:
    """Run the page's blocks in a fresh interpreter in ``workdir``; the problem, or ''."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TIDINGS_")}
    env.update(env_extra)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    payload = json.dumps([str(page.path), [[b.line, b.source] for b in page.blocks]])
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", _RUNNER],
        input=payload,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode == 0:
        return ""
    return f"{page.name} failed (exit {result.returncode}):\n{result.stderr[-6000:]}"
