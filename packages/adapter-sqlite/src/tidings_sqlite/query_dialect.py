"""The SQLite dialect of the shared query compiler: JSON1 functions, every key bound.

A state path becomes a JSON path parameter, ``$."a"."b"``, each key written as in the
stored JSON text (escaped by tidings' codec), which SQLite matches on every version.
SQLite's path syntax has no escape for ``"`` inside a quoted key, so a path with such a
key is looked up with ``json_each`` instead, comparing decoded keys: slower, and exact.
"""

from __future__ import annotations

from typing import Any

from tidings.adapters import (
    Fragment,
    Path,
    encode_json,
)

__all__ = ["ALIAS", "SQLiteDialect", "json_path"]

ALIAS = "p"
"""The alias of the projections table in every query the dialect's fragments join."""

_STATE = f"{ALIAS}.state"
_NULLABLE_NUMBERS = ("position", "sequence_number")


def json_path(keys: tuple[str, ...]) -> str | None:
    """The JSON path of ``keys`` below the state, or None when SQLite cannot spell it."""
    if any('"' in key for key in keys):
        return None
    return "$" + "".join(f'."{encode_json(key)[1:-1]}"' for key in keys)


class _Leaf:
    """SQL for the JSON type, the scalar value and the elements of the value at a path."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        path = json_path(keys)
        if path is not None:
            self.type = Fragment(f"json_type({_STATE}, ?)", [path])
            self.atom = Fragment(f"json_extract({_STATE}, ?)", [path])
            self.elements = Fragment(f"json_each({_STATE}, ?)", [path])
            return
        parent = Fragment(_STATE)
        for depth, key in enumerate(keys[:-1]):
            parent = _member(parent, depth, key, "value", "object")
        depth = len(keys) - 1
        self.type = _member(parent, depth, keys[-1], "type")
        self.atom = _member(parent, depth, keys[-1], "atom")
        array = _member(parent, depth, keys[-1], "value", "array")
        self.elements = Fragment("json_each(") + array + Fragment(")")


def _member(
    parent: Fragment, depth: int, key: str, column: str, kind: str | None = None
) -> Fragment:
    """A column of the member ``key`` of the object ``parent`` (NULL when absent)."""
    alias = f"m{depth}"
    where = f" WHERE {alias}.key = ?" + (f" AND {alias}.type = '{kind}'" if kind else "")
    return (
        Fragment(f"(SELECT {alias}.{column} FROM json_each(")
        + parent
        + Fragment(f") AS {alias}{where})", [key])
    )


def _scalar_match(alias: str, operand: Any) -> Fragment:
    """``alias`` (a json_each row) is a scalar equal to ``operand``."""
    if operand is None:
        return Fragment(f"{alias}.type = 'null'")
    if isinstance(operand, bool):
        return Fragment(f"{alias}.type = '{'true' if operand else 'false'}'")
    if isinstance(operand, int | float):
        return Fragment(f"({alias}.type IN ('integer', 'real') AND {alias}.atom = ?)", [operand])
    return Fragment(f"({alias}.type = 'text' AND {alias}.atom = ?)", [operand])


class SQLiteDialect:
    """Kinds, numbers and texts of query paths, with SQLite's JSON1 functions."""

    placeholder = "?"

    def kind(self, path: Path) -> Fragment:
        if path.is_state:
            kind = _Leaf(path.keys).type
            return (
                Fragment("(CASE ")
                + kind
                + Fragment(
                    " WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number' "
                    "WHEN 'text' THEN 'string' ELSE "
                )
                + kind
                + Fragment(" END)")
            )
        if path.text in _NULLABLE_NUMBERS:
            return Fragment(
                f"(CASE WHEN {ALIAS}.{path.text} IS NULL THEN 'null' ELSE 'number' END)"
            )
        return Fragment("'string'")

    def number(self, path: Path) -> Fragment:
        if path.is_state:
            leaf = _Leaf(path.keys)
            return (
                Fragment("(CASE WHEN ")
                + leaf.type
                + Fragment(" IN ('integer', 'real') THEN ")
                + leaf.atom
                + Fragment(" END)")
            )
        return Fragment(f"{ALIAS}.{path.text}" if path.text in _NULLABLE_NUMBERS else "NULL")

    def text(self, path: Path) -> Fragment:
        if path.is_state:
            leaf = _Leaf(path.keys)
            return (
                Fragment("(CASE WHEN ")
                + leaf.type
                + Fragment(" = 'text' THEN ")
                + leaf.atom
                + Fragment(" END)")
            )
        return Fragment("NULL" if path.text in _NULLABLE_NUMBERS else f"{ALIAS}.{path.text}")

    def array_contains(self, path: Path, operand: Any) -> Fragment:
        if not path.is_state:
            return Fragment("FALSE")  # the projection's own fields are never lists
        leaf = _Leaf(path.keys)
        return (
            Fragment("(")
            + leaf.type
            + Fragment(" = 'array' AND EXISTS (SELECT 1 FROM ")
            + leaf.elements
            + Fragment(" AS element WHERE ")
            + _scalar_match("element", operand)
            + Fragment("))")
        )

    def starts_with(self, text: Fragment, prefix: str) -> Fragment:
        # A literal, case-sensitive prefix (LIKE folds case, GLOB has wildcards); substr
        # counts characters, as len() counts code points.
        return Fragment("(substr(") + text + Fragment(", 1, ?) = ?)", [len(prefix), prefix])
