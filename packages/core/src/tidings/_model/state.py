"""The immutable mapping that projection handlers receive and return."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["State"]


class State(Mapping[str, Any]):
    """An immutable mapping; :meth:`merge` returns a new state with keys added or replaced.

    Projection handlers receive mapping states as ``State``, so they can write
    ``state.merge({...})`` as in the seed README.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:
        self._data: dict[str, Any] = {**(data or {}), **kwargs}

    def merge(self, other: Mapping[str, Any] | None = None, /, **kwargs: Any) -> State:
        """A new state with the keys of ``other`` (and ``kwargs``) added or replaced."""
        return State({**self._data, **(other or {}), **kwargs})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def to_dict(self) -> dict[str, Any]:
        """A plain, mutable copy."""
        return dict(self._data)

    def __repr__(self) -> str:
        return f"State({self._data!r})"
