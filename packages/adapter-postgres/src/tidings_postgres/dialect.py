"""The query language's JSON expressions in PostgreSQL, for :mod:`tidings._query.sql`.

State paths read the ``state_jsonb`` column one key at a time with ``-> %s::text``: the
text form of ``->`` only looks up object keys, so a path that meets an array or a scalar
is missing, as the language says (``#>`` would index arrays with ``'0'``). Every key and
value is a bound parameter. Strings compare with ``COLLATE "C"``, by code point.
"""

from __future__ import annotations

from typing import Any

from tidings.adapters import (
    Fragment,
    Path,
    encode_json,
)

__all__ = ["PostgresDialect"]

_NULLABLE_NUMBERS = ("position", "sequence_number")


def _value(path: Path) -> Fragment:
    """The jsonb at a state path, SQL NULL when missing."""
    keys = path.keys
    return Fragment("(state_jsonb" + " -> %s::text" * len(keys) + ")", list(keys))


def _fill(template: str, value: Fragment) -> Fragment:
    """``template`` with each ``{v}`` replaced by ``value``, parameters repeated in order."""
    return Fragment(template.replace("{v}", value.sql), value.params * template.count("{v}"))


class PostgresDialect:
    """The :class:`tidings._query.sql.Dialect` of PostgreSQL; psycopg ``%s`` placeholders."""

    placeholder = "%s"

    def kind(self, path: Path) -> Fragment:
        if path.is_state:
            return _fill(
                "(CASE {v} WHEN 'true'::jsonb THEN 'true' WHEN 'false'::jsonb THEN 'false' "
                "ELSE jsonb_typeof({v}) END)",
                _value(path),
            )
        if path.column in _NULLABLE_NUMBERS:
            return Fragment(f"(CASE WHEN {path.column} IS NULL THEN 'null' ELSE 'number' END)")
        return Fragment("'string'::text")

    def number(self, path: Path) -> Fragment:
        if path.is_state:
            return _fill(
                "(CASE WHEN jsonb_typeof({v}) = 'number' THEN ({v})::numeric END)",
                _value(path),
            )
        if path.column in _NULLABLE_NUMBERS:
            return Fragment(f"{path.column}::numeric")
        return Fragment("NULL::numeric")

    def text(self, path: Path) -> Fragment:
        if path.is_state:
            return _fill(
                "((CASE WHEN jsonb_typeof({v}) = 'string' THEN {v} #>> '{}' END) COLLATE \"C\")",
                _value(path),
            )
        if path.column in _NULLABLE_NUMBERS:
            return Fragment('NULL::text COLLATE "C"')
        return Fragment(f'({path.column} COLLATE "C")')

    def array_contains(self, path: Path, operand: Any) -> Fragment:
        if not path.is_state:
            return Fragment("FALSE")
        value = _value(path)
        check = _fill("(jsonb_typeof({v}) = 'array' AND {v} @> %s::jsonb)", value)
        return check + Fragment("", [encode_json([operand])])

    def starts_with(self, text: Fragment, prefix: str) -> Fragment:
        return Fragment(f"starts_with({text.sql}, %s)", [*text.params, prefix])
