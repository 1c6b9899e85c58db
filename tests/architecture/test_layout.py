"""The architecture, checked: no import cycles, adapters use only the adapter API, and
the sync modules generated from the async ones are up to date."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted(REPO.glob("packages/*/src"))
ADAPTERS = sorted(REPO.glob("packages/adapter-*/src"))


def _modules() -> Iterator[tuple[str, Path]]:
    for root in SOURCES:
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _runtime_imports(path: Path, module: str, *, typing_too: bool = False) -> set[str]:
    """Modules that ``module`` imports at its top level, outside ``if TYPE_CHECKING:``
    blocks unless ``typing_too`` (imports inside functions run later, on use)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        typing_only = isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        if typing_only and not typing_too:
            continue
        for child in ast.walk(node) if isinstance(node, ast.If | ast.Try) else [node]:
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                assert not child.level, f"{path}: the project uses absolute imports"
                base = child.module or ""
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in child.names)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("typing_too", [False, True], ids=["at-run-time", "for-typing-too"])
def test_no_module_imports_itself_back(typing_too: bool) -> None:
    modules = dict(_modules())
    graph = {
        name: {
            target
            for target in _runtime_imports(path, name, typing_too=typing_too)
            if target in modules and target != name and not name.startswith(f"{target}.")
        }
        for name, path in modules.items()
    }
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _outside_type_checking(tree: ast.Module) -> list[ast.AST]:
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:``: an adapter that
    returns the application's stores names their types in its signatures only."""
    hidden = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for child in node.body
        for inner in ast.walk(child)
    }
    return [node for node in ast.walk(tree) if id(node) not in hidden]


def test_adapters_import_only_the_adapter_api_from_tidings() -> None:
    offenders = []
    for root in ADAPTERS:
        for path in root.rglob("*.py"):
            for node in _outside_type_checking(ast.parse(path.read_text())):
                names = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                offenders += [
                    f"{path.relative_to(REPO)}: {name}"
                    for name in names
                    if (name == "tidings" or name.startswith("tidings."))
                    and name != "tidings.adapters"
                ]
    assert offenders == []


def test_the_generated_sync_modules_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "unasync.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
