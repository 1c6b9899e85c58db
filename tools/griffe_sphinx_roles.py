"""A griffe extension for the API reference (``mkdocs.yml`` loads it): docstrings use
Sphinx roles (``:class:`~tidings.NewEvent```), which Markdown would show as they are.

Each role becomes inline code, and a link when it names a public name of ``tidings`` or
``tidings.adapters`` (the two pages of the reference), so no link can dangle; a bare
method or attribute name stays code. A leading
``~`` shows only the last part of the name, as in Sphinx.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import griffe

CORE = Path(__file__).resolve().parents[1] / "packages" / "core" / "src" / "tidings"
ROLE = re.compile(r":(?:py:)?(?P<role>class|func|meth|attr|data|mod|exc|obj):`(?P<target>[^`]+)`")
MEMBER_ROLES = {"meth", "attr"}
"""Roles whose bare name is a member of the documented class (``:meth:`run```): never a
link to a module-level name that happens to share it."""


def _exported(path: Path) -> set[str]:
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        if (
            isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets)
            and isinstance(statement.value, ast.List)
        ):
            return {e.value for e in statement.value.elts if isinstance(e, ast.Constant)}
    return set()


APPLICATION = _exported(CORE / "__init__.py")
ADAPTER = _exported(CORE / "adapters.py")


def _replace(found: re.Match[str]) -> str:
    target = found["target"].strip()
    short = target.startswith("~")
    target = target.lstrip("~").removesuffix("()")
    shown = target.rsplit(".", 1)[-1] if short else target
    parts = target.split(".")
    if found["role"] in MEMBER_ROLES and len(parts) == 1:
        return f"`{shown}`"
    if parts[0] == "tidings":
        parts = parts[2:] if len(parts) > 2 and parts[1] in {"adapters", "errors"} else parts[1:]
    head = parts[0] if parts else ""
    if head in APPLICATION:
        return f"[`{shown}`][tidings.{head}]"
    if head in ADAPTER:
        return f"[`{shown}`][tidings.adapters.{head}]"
    return f"`{shown}`"


def convert(text: str) -> str:
    """``text`` with every Sphinx role turned into Markdown."""
    return ROLE.sub(_replace, text)


class SphinxRoles(griffe.Extension):
    """Rewrites the roles in every docstring griffe loads."""

    def on_instance(self, *, node: Any, obj: griffe.Object, agent: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = convert(obj.docstring.value)
