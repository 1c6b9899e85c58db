"""Query → SQL, written once for every SQL adapter; a :class:`Dialect` supplies the JSON
expressions of one database. Every value and every JSON key is a bound parameter.

Each path compiles to three expressions: its *kind* (``'null'``, ``'true'``, ``'false'``,
``'number'``, ``'string'``, ``'array'``, ``'object'``, or SQL NULL when missing), its
*number* and its *text*. Filters and the total sort order of :mod:`tidings._query` are
built from those, so the SQL means exactly what :mod:`tidings._query.evaluate` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from tidings._query.evaluate import sort_key
from tidings._query.model import Filter, Operator, Path, Query

__all__ = ["Dialect", "Fragment", "compile_order", "compile_where"]


@dataclass(slots=True)
class Fragment:
    """SQL text with its parameters, in order."""

    sql: str
    params: list[Any] = field(default_factory=list)

    def __add__(self, other: Fragment) -> Fragment:
        return Fragment(self.sql + other.sql, self.params + other.params)


class Dialect(Protocol):
    """The JSON expressions of one database, for one path."""

    placeholder: str

    def kind(self, path: Path) -> Fragment:
        """The canonical kind of the value at ``path``, SQL NULL when missing."""

    def number(self, path: Path) -> Fragment:
        """The numeric value at ``path``, when it is a number."""

    def text(self, path: Path) -> Fragment:
        """The string value at ``path``, when it is a string, compared by code point."""

    def array_contains(self, path: Path, operand: Any) -> Fragment:
        """True when the value at ``path`` is an array holding an element equal to
        ``operand`` (a scalar), following the query language's equality."""

    def starts_with(self, text: Fragment, prefix: str) -> Fragment:
        """True when ``text`` starts with the literal ``prefix``."""


def _wrap(template: str, *parts: Fragment) -> Fragment:
    """Fill ``{}`` slots of ``template`` with fragments, keeping parameter order."""
    pieces = template.split("{}")
    result = Fragment(pieces[0])
    for part, tail in zip(parts, pieces[1:]):
        result = result + part + Fragment(tail)
    return result


def _value(dialect: Dialect, value: Any) -> Fragment:
    return Fragment(dialect.placeholder, [value])


def _equals(dialect: Dialect, path: Path, operand: Any) -> Fragment:
    kind = dialect.kind(path)
    if operand is None:
        return _wrap("({} = 'null')", kind)
    if isinstance(operand, bool):
        return _wrap(f"({{}} = '{'true' if operand else 'false'}')", kind)
    if isinstance(operand, int | float):
        return _wrap(
            "({} = 'number' AND {} = {})", kind, dialect.number(path), _value(dialect, operand)
        )
    return _wrap("({} = 'string' AND {} = {})", kind, dialect.text(path), _value(dialect, operand))


_COMPARISONS = {Operator.LT: "<", Operator.LE: "<=", Operator.GT: ">", Operator.GE: ">="}


def _predicate(dialect: Dialect, condition: Filter) -> Fragment:
    path, op, operand = condition.path, condition.operator, condition.value
    if op is Operator.EQ:
        inner = _equals(dialect, path, operand)
    elif op is Operator.NE:
        return _wrap("(NOT COALESCE({}, FALSE))", _equals(dialect, path, operand))
    elif op is Operator.IN:
        if not operand:
            return Fragment("(1 = 0)")
        options = [_equals(dialect, path, candidate) for candidate in operand]
        inner = _wrap("(" + " OR ".join(["{}"] * len(options)) + ")", *options)
    elif op is Operator.CONTAINS:
        inner = dialect.array_contains(path, operand)
    elif op is Operator.STARTSWITH:
        inner = _wrap(
            "({} = 'string' AND {})",
            dialect.kind(path),
            dialect.starts_with(dialect.text(path), operand),
        )
    else:
        is_number = not isinstance(operand, str)
        kind, value = (
            ("number", dialect.number(path)) if is_number else ("string", dialect.text(path))
        )
        inner = _wrap(
            f"({{}} = '{kind}' AND {{}} {_COMPARISONS[op]} {{}})",
            dialect.kind(path),
            value,
            _value(dialect, operand),
        )
    return _wrap("COALESCE({}, FALSE)", inner)


def compile_where(dialect: Dialect, query: Query, name_column: str = "name") -> Fragment:
    """The WHERE condition of a query (without the keyword); ``TRUE`` when unfiltered."""
    parts = [_predicate(dialect, condition) for condition in query.filters]
    if query.name is not None:
        parts.insert(0, Fragment(f"{name_column} = {dialect.placeholder}", [query.name]))
    if query.after is not None:
        parts.append(_after(dialect, query))
    if not parts:
        return Fragment("TRUE")
    return _wrap(" AND ".join(["{}"] * len(parts)), *parts)


def _rank(dialect: Dialect, path: Path) -> Fragment:
    return _wrap(
        "(CASE {} WHEN 'null' THEN 1 WHEN 'false' THEN 2 WHEN 'true' THEN 3 "
        "WHEN 'number' THEN 4 WHEN 'string' THEN 5 WHEN 'array' THEN 6 WHEN 'object' THEN 6 "
        "ELSE 0 END)",
        dialect.kind(path),
    )


def _sort_columns(dialect: Dialect, query: Query) -> list[tuple[Fragment, bool]]:
    """(expression, descending) of every ORDER BY column, tie-break included."""
    columns: list[tuple[Fragment, bool]] = []
    for key in query.sort:
        number = _wrap("COALESCE({}, 0)", dialect.number(key.path))
        text = _wrap("COALESCE({}, '')", dialect.text(key.path))
        columns += [
            (_rank(dialect, key.path), key.descending),
            (number, key.descending),
            (text, key.descending),
        ]
    columns += [(Fragment("name"), False), (Fragment("id"), False)]
    return columns


def compile_order(dialect: Dialect, query: Query) -> Fragment:
    """The ORDER BY list (without the keywords): the query's keys, then name and id."""
    columns = _sort_columns(dialect, query)
    template = ", ".join("{}" + (" DESC" if descending else " ASC") for _, descending in columns)
    return _wrap(template, *(expression for expression, _ in columns))


def _after(dialect: Dialect, query: Query) -> Fragment:
    assert query.after is not None
    values: list[Any] = []
    for value in query.after.values:
        values.extend(sort_key(value))
    values += [query.after.name, query.after.id]
    columns = _sort_columns(dialect, query)
    alternatives: list[Fragment] = []
    for index, (expression, descending) in enumerate(columns):
        equal_so_far = [
            _wrap("{} = {}", columns[i][0], _value(dialect, values[i])) for i in range(index)
        ]
        beyond = _wrap(
            f"{{}} {'<' if descending else '>'} {{}}", expression, _value(dialect, values[index])
        )
        clause = [*equal_so_far, beyond]
        alternatives.append(_wrap("(" + " AND ".join(["{}"] * len(clause)) + ")", *clause))
    return _wrap("(" + " OR ".join(["{}"] * len(alternatives)) + ")", *alternatives)
