"""The query value types, validated at construction so adapters receive sound queries."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tidings.errors import ValidationError

__all__ = ["FIELDS", "Cursor", "Filter", "Operator", "Page", "Path", "Query", "Sort", "field"]

FIELDS = ("name", "id", "position", "sequence_number")
"""The projection's own fields that queries may address besides ``state``."""

_SEGMENT = re.compile(r"^[^.\x00]+$")
T = TypeVar("T")


class Operator(enum.Enum):
    """A filter comparison."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"
    CONTAINS = "contains"
    STARTSWITH = "startswith"


@dataclass(frozen=True, slots=True)
class Path:
    """Where a value lives: a projection field, or a key path into the state."""

    text: str

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise ValidationError("path", f"must be a str, got {type(self.text).__name__}")
        if self.text in FIELDS or self.text == "state":
            return
        head, _, rest = self.text.partition(".")
        if head != "state" or not rest or not all(_SEGMENT.match(s) for s in rest.split(".")):
            raise ValidationError(
                "path",
                f"{self.text!r} is not a query path; use one of {', '.join(FIELDS)}, "
                "'state' or 'state.<key>[.<key>...]'",
            )

    @property
    def column(self) -> str:
        """``state`` for state paths, else the projection field."""
        return "state" if self.is_state else self.text

    @property
    def is_state(self) -> bool:
        """Whether this path is the state or a key path below it, not a projection field."""
        return self.text == "state" or self.text.startswith("state.")

    @property
    def keys(self) -> tuple[str, ...]:
        """The key path below ``state`` (empty for the whole state or a field)."""
        return tuple(self.text.split(".")[1:]) if self.is_state else ()


def _is_scalar(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, bool | int | str)


@dataclass(frozen=True, slots=True)
class Filter:
    """``path <operator> value``: build with :func:`field`, e.g. ``field("state.age") >= 18``."""

    path: Path
    operator: Operator
    value: Any

    def __post_init__(self) -> None:
        op, value = self.operator, self.value
        where = f"filter on {self.path.text!r} ({op.value})"
        if op in (Operator.EQ, Operator.NE, Operator.CONTAINS):
            if not _is_scalar(value):
                raise ValidationError(where, f"needs a scalar JSON value, got {value!r}")
        elif op in (Operator.LT, Operator.LE, Operator.GT, Operator.GE):
            if isinstance(value, bool) or not (
                isinstance(value, str) or (isinstance(value, int | float) and _is_scalar(value))
            ):
                raise ValidationError(where, f"needs a number or a string, got {value!r}")
        elif op is Operator.IN:
            if not isinstance(value, list | tuple | set | frozenset) or not all(
                _is_scalar(v) for v in value
            ):
                raise ValidationError(where, f"needs a list of scalar JSON values, got {value!r}")
            object.__setattr__(self, "value", tuple(value))
        elif op is Operator.STARTSWITH and not isinstance(value, str):
            raise ValidationError(where, f"needs a str, got {value!r}")


class field:
    """Start a filter: ``field("state.tags").contains("vip")``, ``field("name") == "x"``."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def _filter(self, operator: Operator, value: Any) -> Filter:
        return Filter(self.path, operator, value)

    def __eq__(self, value: Any) -> Filter:  # type: ignore[override]
        return self._filter(Operator.EQ, value)

    def __ne__(self, value: Any) -> Filter:  # type: ignore[override]
        return self._filter(Operator.NE, value)

    def __lt__(self, value: Any) -> Filter:
        return self._filter(Operator.LT, value)

    def __le__(self, value: Any) -> Filter:
        return self._filter(Operator.LE, value)

    def __gt__(self, value: Any) -> Filter:
        return self._filter(Operator.GT, value)

    def __ge__(self, value: Any) -> Filter:
        return self._filter(Operator.GE, value)

    def is_in(self, values: Sequence[Any]) -> Filter:
        """Matches when the value equals one of ``values`` (scalar JSON values)."""
        return self._filter(Operator.IN, values)

    def contains(self, value: Any) -> Filter:
        """Matches when the value is a list holding ``value`` (never a substring test)."""
        return self._filter(Operator.CONTAINS, value)

    def startswith(self, prefix: str) -> Filter:
        """Matches when the value is a string starting with ``prefix``, taken literally."""
        return self._filter(Operator.STARTSWITH, prefix)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Sort:
    """One sort key. ``Sort.parse("-state.age")`` sorts descending."""

    path: Path
    descending: bool = False

    @classmethod
    def parse(cls, value: str | Sort) -> Sort:
        """A sort key from a path, descending when it starts with ``-``; a Sort as is."""
        if isinstance(value, Sort):
            return value
        if not isinstance(value, str):
            raise ValidationError("sort", f"must be a path string or Sort, got {value!r}")
        descending = value.startswith("-")
        return cls(Path(value.lstrip("-+")), descending)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a keyset page ended: the sort values and tie-break of its last item."""

    values: tuple[Any, ...]
    name: str
    id: str


@dataclass(frozen=True, slots=True)
class Query:
    """A validated search: filters (all must match), sort keys and a page."""

    name: str | None = None
    filters: tuple[Filter, ...] = ()
    sort: tuple[Sort, ...] = ()
    limit: int | None = None
    offset: int = 0
    after: Cursor | None = None

    def __post_init__(self) -> None:
        for label, number in (("limit", self.limit), ("offset", self.offset)):
            if number is not None and (
                not isinstance(number, int) or isinstance(number, bool) or number < 0
            ):
                raise ValidationError(label, f"must be an int >= 0, got {number!r}")
        if self.after is not None and self.offset:
            raise ValidationError("after", "keyset paging (after) and offset do not combine")
        if self.after is not None and len(self.after.values) != len(self.sort):
            raise ValidationError("after", "the cursor comes from a query with other sort keys")
        if not all(isinstance(f, Filter) for f in self.filters):
            raise ValidationError("filters", "must be Filter values, built with field(...)")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results; ``cursor`` continues after its last item (None when empty)."""

    items: list[T]
    cursor: Cursor | None
