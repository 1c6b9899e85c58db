"""Generate each sync module of tidings from its async source.

The async code is the one source of both faces; the sync modules are derived from it, as
psycopg 3 does. Edit the async module, then run::

    uv run python tools/unasync.py            # rewrite every generated module
    uv run python tools/unasync.py --check    # exit 1 if a generated module is stale (CI)

The transformation works on tokens, so strings and comments stay intact except for the
identifiers it renames:

- ``async`` and ``await`` are dropped (``async def``, ``async for``, ``async with``);
- names are renamed by :data:`RENAMES`, then by rule: ``AsyncX`` → ``X``, ``async_x`` →
  ``x`` and ``x_async`` → ``x``;
- a line ``# sync: <code>`` becomes ``<code>`` at the same indentation (written in sync
  terms, it is not renamed), and a line that ends with ``# async-only`` is dropped, for
  the few places where the faces differ;
- the result is formatted and its imports sorted by ruff, and its first line says that
  it is generated.
"""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PAIRS: tuple[tuple[str, str], ...] = (
    (
        "packages/core/src/tidings/_protocol/async_plan_runner.py",
        "packages/core/src/tidings/_protocol/plan_runner.py",
    ),
    (
        "packages/core/src/tidings/_protocol/async_adapter.py",
        "packages/core/src/tidings/_protocol/adapter.py",
    ),
    (
        "packages/core/src/tidings/_api/async_store.py",
        "packages/core/src/tidings/_api/store.py",
    ),
    (
        "packages/core/src/tidings/_api/async_projection_store.py",
        "packages/core/src/tidings/_api/projection_store.py",
    ),
    (
        "packages/core/src/tidings/_api/async_subscription.py",
        "packages/core/src/tidings/_api/subscription.py",
    ),
    (
        "packages/core/src/tidings/_api/async_consumer.py",
        "packages/core/src/tidings/_api/consumer.py",
    ),
    (
        "packages/core/src/tidings/_api/async_group.py",
        "packages/core/src/tidings/_api/group.py",
    ),
    (
        "packages/core/src/tidings/_api/async_worker.py",
        "packages/core/src/tidings/_api/worker.py",
    ),
    (
        "packages/core/src/tidings/_api/async_operations.py",
        "packages/core/src/tidings/_api/operations.py",
    ),
    (
        "packages/core/src/tidings/_api/async_retrying.py",
        "packages/core/src/tidings/_api/retrying.py",
    ),
    (
        "packages/adapter-postgres/src/tidings_postgres/async_adapter.py",
        "packages/adapter-postgres/src/tidings_postgres/adapter.py",
    ),
    (
        "packages/adapter-postgres/src/tidings_postgres/async_bound.py",
        "packages/adapter-postgres/src/tidings_postgres/bound.py",
    ),
    (
        "packages/adapter-postgres/src/tidings_postgres/async_notifications.py",
        "packages/adapter-postgres/src/tidings_postgres/notifications.py",
    ),
)
"""(async source, generated sync module), relative to the repository root."""

RENAMES: dict[str, str] = {
    "AsyncIterator": "Iterator",
    "AsyncIterable": "Iterable",
    "AsyncGenerator": "Generator",
    "StopAsyncIteration": "StopIteration",
    "asynccontextmanager": "contextmanager",
    "AsyncExitStack": "ExitStack",
    "aclose": "close",
    "anext": "next",
    "aiter": "iter",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "arun": "run",
    "afetch": "fetch",
    "aislice": "islice",
    "asyncio": "threading",
}
"""Names whose sync twin does not follow the ``Async``/``async_`` rules."""

_DIRECTIVE = re.compile(r"^(?P<indent>\s*)# sync: ?(?P<code>.*)$")
_ASYNC_ONLY = re.compile(r"#\s*async-only\s*$")
_IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def rename(name: str) -> str:
    """The sync twin of one identifier."""
    if name in RENAMES:
        return RENAMES[name]
    if name.startswith("Async") and name[5:6].isupper():
        return name[5:]
    if name.startswith("async_") and len(name) > 6:
        return name[6:]
    if name.endswith("_async") and len(name) > 6:
        return name[:-6]
    return name


def _rename_in_text(text: str) -> str:
    """Rename identifiers in a docstring or comment; prose words such as "asyncio" stay."""
    return _IDENTIFIER.sub(
        lambda match: match.group(0) if match.group(0) == "asyncio" else rename(match.group(0)),
        text,
    )


def _apply_directives(source: str) -> str:
    lines = []
    for line in source.splitlines(keepends=True):
        if _ASYNC_ONLY.search(line):
            continue
        directive = _DIRECTIVE.match(line.rstrip("\n"))
        lines.append(
            f"{directive['indent']}{directive['code']}\n" if directive is not None else line
        )
    return "".join(lines)


def unasync(source: str) -> str:
    """The sync module for an async module's text (before formatting).

    ``# sync:`` lines are written in sync terms already, so they are not renamed."""
    text = source
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    edits: list[tuple[int, int, str]] = []
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    for token in tokens:
        start = offsets[token.start[0] - 1] + token.start[1]
        end = offsets[token.end[0] - 1] + token.end[1]
        if token.type == tokenize.NAME and token.string in ("async", "await"):
            while end < len(text) and text[end] == " ":
                end += 1
            edits.append((start, end, ""))
        elif token.type == tokenize.NAME:
            renamed = rename(token.string)
            if renamed != token.string:
                edits.append((start, end, renamed))
        elif token.type == tokenize.COMMENT and _DIRECTIVE.match(token.string):
            continue
        elif token.type in (tokenize.STRING, tokenize.COMMENT):
            renamed = _rename_in_text(token.string)
            if renamed != token.string:
                edits.append((start, end, renamed))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return _apply_directives(text)


def _ruff(arguments: list[str], text: str, target: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *arguments, "--stdin-filename", target, "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if result.returncode not in (0, 1) or not result.stdout:
        raise SystemExit(f"ruff failed on {target}:\n{result.stderr}")
    return result.stdout


def generate(source_path: str, target_path: str) -> str:
    """The full text of the generated sync module."""
    source = (ROOT / source_path).read_text()
    header = f"# Generated from {Path(source_path).name} by tools/unasync.py: do not edit.\n"
    text = header + unasync(source)
    text = _ruff(["check", "--fix", "--select", "I,F401", "--exit-zero"], text, target_path)
    return _ruff(["format"], text, target_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a module is stale")
    arguments = parser.parse_args(argv)
    stale = []
    for source_path, target_path in PAIRS:
        expected = generate(source_path, target_path)
        target = ROOT / target_path
        current = target.read_text() if target.exists() else None
        if current == expected:
            continue
        stale.append(target_path)
        if not arguments.check:
            target.write_text(expected)
    if arguments.check and stale:
        print("stale generated modules (run: uv run python tools/unasync.py):", *stale, sep="\n  ")
        return 1
    verb = "would rewrite" if arguments.check else "rewrote"
    print(f"{verb} {len(stale)} of {len(PAIRS)} generated modules")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
