"""Value types that name the three scopes of a store: the log, a category and a stream."""

from __future__ import annotations

from dataclasses import dataclass

from tidings._model.names import validate_name

__all__ = ["CategoryIdentifier", "Identifier", "LogIdentifier", "StreamIdentifier"]


@dataclass(frozen=True, order=True, slots=True)
class LogIdentifier:
    """The whole log of one store."""


@dataclass(frozen=True, order=True, slots=True)
class CategoryIdentifier:
    """A group of streams, such as ``orders``."""

    category: str

    def __post_init__(self) -> None:
        validate_name(self.category, "category")


@dataclass(frozen=True, order=True, slots=True)
class StreamIdentifier:
    """The events of one thing, named by its category and stream name."""

    category: str
    stream: str

    def __post_init__(self) -> None:
        validate_name(self.category, "category")
        validate_name(self.stream, "stream")


Identifier = LogIdentifier | CategoryIdentifier | StreamIdentifier
"""Any scope of a store."""
