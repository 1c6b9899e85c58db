"""Built-in write conditions compiled to a check the append function runs in SQL.

Every built-in condition is a predicate on the stream's last position (None when the
stream is empty), and the sets they accept are closed under ``&`` and ``|`` in the form
"empty allowed?" plus "any position, or these positions". Anything else, including a
subclass of a built-in, is a custom condition and takes the general path.
"""

from __future__ import annotations

from dataclasses import dataclass

from tidings.adapters import (
    AllOf,
    AnyOf,
    NoCondition,
    PositionIs,
    StreamExists,
    StreamIsEmpty,
    WriteCondition,
)

__all__ = ["ALWAYS", "CompiledCondition", "compile_condition"]


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    """The last positions a condition accepts: ``None`` if ``empty_ok``, any position if
    ``any_position``, otherwise exactly those in ``positions``."""

    empty_ok: bool
    any_position: bool
    positions: frozenset[int] = frozenset()

    def accepts(self, last_position: int | None) -> bool:
        """The same check as the SQL, for tests that compare it with ``holds_for``."""
        if last_position is None:
            return self.empty_ok
        return self.any_position or last_position in self.positions

    def __and__(self, other: CompiledCondition) -> CompiledCondition:
        if self.any_position and other.any_position:
            positions: frozenset[int] = frozenset()
        elif self.any_position:
            positions = other.positions
        elif other.any_position:
            positions = self.positions
        else:
            positions = self.positions & other.positions
        return CompiledCondition(
            self.empty_ok and other.empty_ok, self.any_position and other.any_position, positions
        )

    def __or__(self, other: CompiledCondition) -> CompiledCondition:
        any_position = self.any_position or other.any_position
        positions = frozenset() if any_position else self.positions | other.positions
        return CompiledCondition(self.empty_ok or other.empty_ok, any_position, positions)


ALWAYS = CompiledCondition(empty_ok=True, any_position=True)
_NEVER = CompiledCondition(empty_ok=False, any_position=False)


def compile_condition(condition: WriteCondition) -> CompiledCondition | None:
    """The SQL form of a built-in condition, or None for a custom one."""
    kind = type(condition)
    if kind is NoCondition:
        return ALWAYS
    if kind is StreamIsEmpty:
        return CompiledCondition(empty_ok=True, any_position=False)
    if kind is StreamExists:
        return CompiledCondition(empty_ok=False, any_position=True)
    if kind is PositionIs:
        position = condition.position  # type: ignore[attr-defined]
        if position is None:
            return CompiledCondition(empty_ok=True, any_position=False)
        return CompiledCondition(False, False, frozenset({position}))
    if kind is AllOf or kind is AnyOf:
        parts = [compile_condition(part) for part in condition.conditions]  # type: ignore[attr-defined]
        compiled = ALWAYS if kind is AllOf else _NEVER
        for part in parts:
            if part is None:
                return None
            compiled = compiled & part if kind is AllOf else compiled | part
        return compiled
    return None
