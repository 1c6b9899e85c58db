"""The query semantics in plain Python: the reference that SQL translations must match."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from tidings._query.model import Cursor, Filter, Operator, Path, Query, Sort

__all__ = ["MISSING", "cursor_for", "evaluate_query", "lookup", "matches", "sort_key"]

T = TypeVar("T")
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()


def lookup(document: Callable[[str], Any], path: Path) -> Any:
    """The value at ``path``, or :data:`MISSING`; ``document(column)`` gives a column."""
    value = document(path.column)
    for key in path.keys:
        if not isinstance(value, Mapping) or key not in value:
            return MISSING
        value = value[key]
    return value


def _kind(value: Any) -> str:
    if value is MISSING:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "container"  # lists and objects: equal to nothing, tied in sorts


def _equal(value: Any, operand: Any) -> bool:
    kind = _kind(value)
    return kind == _kind(operand) and kind != "container" and value == operand


def matches(value: Any, condition: Filter) -> bool:
    """Whether a value (possibly :data:`MISSING`) satisfies one filter."""
    op, operand = condition.operator, condition.value
    if op is Operator.EQ:
        return _equal(value, operand)
    if op is Operator.NE:
        return not _equal(value, operand)
    if op is Operator.IN:
        return any(_equal(value, candidate) for candidate in operand)
    if op is Operator.CONTAINS:
        return isinstance(value, list | tuple) and any(_equal(item, operand) for item in value)
    if op is Operator.STARTSWITH:
        return isinstance(value, str) and value.startswith(operand)
    if _kind(value) != _kind(operand):
        return False
    if op is Operator.LT:
        return bool(value < operand)
    if op is Operator.LE:
        return bool(value <= operand)
    if op is Operator.GT:
        return bool(value > operand)
    return bool(value >= operand)


_RANKS = {"missing": 0, "null": 1, "number": 4, "string": 5, "container": 6}


def sort_key(value: Any) -> tuple[int, float | int, str]:
    """(rank, number, text): the total order every adapter reproduces."""
    kind = _kind(value)
    if kind == "bool":
        return (3 if value else 2, 0, "")
    if kind == "number":
        return (4, value, "")
    if kind == "string":
        return (5, 0, value)
    return (_RANKS[kind], 0, "")


Entry = tuple[tuple[Any, ...], str, str]
"""(sort keys, name, id) of one document."""


def _compare(left: Entry, right: Entry, sort: tuple[Sort, ...]) -> int:
    for a, b, key in zip(left[0], right[0], sort):
        if a != b:
            result = -1 if a < b else 1
            return -result if key.descending else result
    tie_left, tie_right = (left[1], left[2]), (right[1], right[2])
    return 0 if tie_left == tie_right else (-1 if tie_left < tie_right else 1)


def evaluate_query(
    documents: Iterable[T], query: Query, document_of: Callable[[T], Callable[[str], Any]]
) -> list[T]:
    """Filter, sort and page ``documents`` as the query says."""

    def entry(item: T) -> Entry:
        get = document_of(item)
        return (
            tuple(sort_key(lookup(get, key.path)) for key in query.sort),
            get("name"),
            get("id"),
        )

    kept = [
        (entry(item), item)
        for item in documents
        if all(matches(lookup(document_of(item), f.path), f) for f in query.filters)
    ]
    order: Callable[[tuple[Entry, T]], Any] = functools.cmp_to_key(
        lambda a, b: _compare(a[0], b[0], query.sort)
    )
    kept.sort(key=order)
    if query.after is not None:
        after = query.after
        mark = (tuple(sort_key(v) for v in after.values), after.name, after.id)
        kept = [pair for pair in kept if _compare(pair[0], mark, query.sort) > 0]
    items = [item for _, item in kept][query.offset :]
    return items if query.limit is None else items[: query.limit]


def cursor_for(get: Callable[[str], Any], sort: tuple[Sort, ...]) -> Cursor:
    """The cursor that continues after the document ``get``."""
    return Cursor(tuple(lookup(get, key.path) for key in sort), get("name"), get("id"))
