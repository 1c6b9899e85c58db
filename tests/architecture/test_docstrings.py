"""Every public name of both API surfaces, and every public method and property of the
public classes, has a docstring (the API reference is generated from them).

Classes and functions carry their own ``__doc__``; a constant or type alias is documented
by a string literal right after its assignment, as the reference generator reads it.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import tidings
import tidings.adapters

CORE = Path(tidings.__file__).resolve().parent
SURFACES = (tidings, tidings.adapters)


def _own_doc(obj: Any) -> str:
    doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else getattr(obj, "__doc__", None)
    return (doc or "").strip()


def _assignment_docs() -> dict[str, str]:
    """Module-level ``NAME = ...`` assignments of the core, each with its docstring."""
    found: dict[str, str] = {}
    for path in CORE.rglob("*.py"):
        body = ast.parse(path.read_text(encoding="utf-8")).body
        for statement, following in zip(body, [*body[1:], None], strict=True):
            if isinstance(statement, ast.Assign):
                targets = [t.id for t in statement.targets if isinstance(t, ast.Name)]
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                targets = [statement.target.id]
            else:
                continue
            doc = ""
            if (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                doc = following.value.value.strip()
            for target in targets:
                found[target] = found.get(target) or doc
    return found


def _public_names() -> Iterator[tuple[str, Any]]:
    for module in SURFACES:
        for name in module.__all__:
            yield f"{module.__name__}.{name}", getattr(module, name)


def _is_ours(obj: Any) -> bool:
    return getattr(obj, "__module__", "").split(".")[0] == "tidings"


def _members(cls: type) -> Iterator[tuple[str, Any]]:
    """The public methods and properties that ``cls`` itself defines."""
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, staticmethod | classmethod):
            member = member.__func__
        if isinstance(member, property) or inspect.isfunction(member):
            yield name, member


def _documented_above(cls: type, name: str) -> bool:
    """An override keeps the docstring of the method it overrides (as ``inspect.getdoc``
    and the reference generator show it)."""
    for base in cls.__mro__[1:]:
        member = vars(base).get(name)
        if isinstance(member, staticmethod | classmethod):
            member = member.__func__
        if member is not None and _own_doc(member):
            return True
    return False


def missing(surfaces: tuple[ModuleType, ...] = SURFACES) -> list[str]:
    """Every public name, method or property without a docstring."""
    assignments = _assignment_docs()
    found: list[str] = []
    seen: set[int] = set()
    for qualified, obj in _public_names():
        name = qualified.rsplit(".", 1)[1]
        if inspect.isclass(obj) or inspect.isfunction(obj):
            if not _own_doc(obj):
                found.append(qualified)
        elif not assignments.get(name):
            found.append(qualified)
        if inspect.isclass(obj) and _is_ours(obj):
            for cls in obj.__mro__:
                if not _is_ours(cls) or id(cls) in seen:
                    continue
                seen.add(id(cls))
                for member_name, member in _members(cls):
                    if not _own_doc(member) and not _documented_above(cls, member_name):
                        found.append(f"{cls.__module__}.{cls.__qualname__}.{member_name}")
    return sorted(set(found))


def test_every_public_name_and_method_has_a_docstring() -> None:
    undocumented = missing()
    assert undocumented == [], "no docstring:\n" + "\n".join(undocumented)


@pytest.mark.parametrize("surface", SURFACES, ids=lambda module: module.__name__)
def test_the_check_sees_every_name(surface: ModuleType) -> None:
    # a check that found no names would pass for the wrong reason
    names = [name for name in surface.__all__ if getattr(surface, name, None) is not None]
    assert len(names) == len(surface.__all__) > 20


def test_the_check_finds_an_undocumented_method() -> None:
    class Undocumented:
        """Documented class."""

        def method(self) -> None:
            pass

    Undocumented.__module__ = "tidings.fake"
    assert [name for name, member in _members(Undocumented) if not _own_doc(member)] == ["method"]
