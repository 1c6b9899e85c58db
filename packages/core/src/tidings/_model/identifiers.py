"""Value types that name the three scopes of a store: the log, a category and a stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from tidings._model.names import validate_name

__all__ = ["CategoryIdentifier", "Identifier", "LogIdentifier", "ScopeKind", "StreamIdentifier"]

ScopeKind = Literal["log", "category", "stream"]
"""Which of the three scopes an identifier names."""


@dataclass(frozen=True, order=True, slots=True)
class LogIdentifier:
    """The whole log of one store."""

    kind: ClassVar[ScopeKind] = "log"

    @property
    def keys(self) -> tuple[()]:
        """The names that select this scope: none for the log."""
        return ()


@dataclass(frozen=True, order=True, slots=True)
class CategoryIdentifier:
    """A group of streams, such as ``orders``."""

    kind: ClassVar[ScopeKind] = "category"
    category: str

    def __post_init__(self) -> None:
        validate_name(self.category, "category")

    @property
    def keys(self) -> tuple[str]:
        """The names that select this scope: ``(category,)``."""
        return (self.category,)


@dataclass(frozen=True, order=True, slots=True)
class StreamIdentifier:
    """The events of one thing, named by its category and stream name."""

    kind: ClassVar[ScopeKind] = "stream"
    category: str
    stream: str

    def __post_init__(self) -> None:
        validate_name(self.category, "category")
        validate_name(self.stream, "stream")

    @property
    def keys(self) -> tuple[str, str]:
        """The names that select this scope: ``(category, stream)``."""
        return (self.category, self.stream)


Identifier = LogIdentifier | CategoryIdentifier | StreamIdentifier
"""Any scope of a store."""
