"""MkDocs hooks for the tidings docs site (``mkdocs.yml`` names this file).

- Every page in ``docs/guides/`` joins the "How-to guides" section of the nav, and every
  page in ``docs/design/`` a "Design notes" section, so a new guide needs no edit of
  ``mkdocs.yml`` (and ``validation.omitted_files: warn`` makes any other page left out
  of the nav fail the strict build).
- ``<!-- include: path/from/repo/root.md -->`` inserts that file (the benchmark results
  live in ``benchmarks/README.md``), its relative links made relative to the repo root.
- A relative link to a file outside ``docs/`` (a test, a package's README, a source
  file) becomes a link to that file in the repository, and fails the strict build when
  the file does not exist; links between pages are left to MkDocs, which checks them and
  their anchors.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.plugins.tidings")

ROOT = Path(__file__).resolve().parents[1]
"""The repository; ``on_config`` sets it (and DOCS) from the config file's place."""
DOCS = ROOT / "docs"
AUTO_SECTIONS = {"How-to guides": "guides", "Design notes": "design"}
"""Nav sections that list every page of a docs folder, after any listed explicitly."""
BEFORE = "API reference"
INCLUDE = re.compile(r"^<!--\s*include:\s*(?P<path>\S+)\s*-->\s*$", re.MULTILINE)
LINK = re.compile(r"(?P<bang>!?)\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s]+)\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def _title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem.replace("-", " ").capitalize()


def on_config(config: Any) -> Any:
    """Add every page of the folders in ``AUTO_SECTIONS`` to its section, sorted by file
    name; a section that ``mkdocs.yml`` lacks is added before the API reference."""
    global ROOT, DOCS
    ROOT = Path(config["config_file_path"]).resolve().parent
    DOCS = Path(config["docs_dir"]).resolve()
    nav = config.get("nav") or []
    listed = {
        value
        for section in nav
        if isinstance(section, dict)
        for entries in section.values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
        for value in entry.values()
    }
    for title, folder in AUTO_SECTIONS.items():
        pages = [
            {_title(page): page.relative_to(DOCS).as_posix()}
            for page in sorted((DOCS / folder).glob("*.md"))
            if page.relative_to(DOCS).as_posix() not in listed
        ]
        section = next((s for s in nav if isinstance(s, dict) and title in s), None)
        if section is not None:
            section[title].extend(pages)
        elif pages:
            at = next(
                (i for i, s in enumerate(nav) if isinstance(s, dict) and BEFORE in s), len(nav)
            )
            nav.insert(at, {title: pages})
    return config


def _rewrite_links(
    markdown: str, source_dir: Path, page: str, repo_url: str, page_dir: Path | None = None
) -> str:
    """Point links that leave ``docs/`` at the repository; warn about missing files.

    ``source_dir`` is where the text's relative links start from, and ``page_dir`` the
    folder of the page that shows it (they differ for an included file).
    """

    def rewrite(found: re.Match[str]) -> str:
        target = found["target"]
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
            return found[0]
        path, _, anchor = target.partition("#")
        resolved = Path(posixpath.normpath((source_dir / path).as_posix()))
        inside_docs = resolved.is_relative_to(DOCS)
        if inside_docs and source_dir.is_relative_to(DOCS):
            return found[0]  # a link between pages: MkDocs checks it and its anchor
        if not resolved.exists():
            log.warning("%s: the link %r names a file that does not exist", page, target)
            return found[0]
        if inside_docs:
            shown_in = (page_dir or source_dir).as_posix()
            relative_to_page = posixpath.relpath(resolved.as_posix(), shown_in)
            new = relative_to_page + (f"#{anchor}" if anchor else "")
        else:
            kind = "tree" if resolved.is_dir() else "blob"
            relative = resolved.relative_to(ROOT).as_posix()
            new = f"{repo_url}/{kind}/main/{relative}" + (f"#{anchor}" if anchor else "")
        return f"{found['bang']}[{found['text']}]({new})"

    out: list[str] = []
    in_code = False
    for line in markdown.splitlines(keepends=True):
        if FENCE.match(line):
            in_code = not in_code
        out.append(line if in_code else LINK.sub(rewrite, line))
    return "".join(out)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Insert included files, then rewrite the links that leave ``docs/``."""
    repo_url = str(config["repo_url"]).rstrip("/")
    source = Path(page.file.abs_src_path)

    def include(found: re.Match[str]) -> str:
        included = ROOT / found["path"]
        if not included.is_file():
            log.warning("%s: cannot include %s: no such file", page.file.src_uri, found["path"])
            return ""
        text = included.read_text(encoding="utf-8")
        text = re.sub(r"\A# .*\n", "", text)  # the including page has its own title
        return _rewrite_links(text, included.parent, str(included), repo_url, source.parent)

    markdown = INCLUDE.sub(include, markdown)
    return _rewrite_links(markdown, source.parent, page.file.src_uri, repo_url)
