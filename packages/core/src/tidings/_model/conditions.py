"""Write conditions: optimistic concurrency checks evaluated against the target stream.

A condition sees the stream's last stored event inside the write's serialisation and
raises :class:`~tidings.errors.UnmetWriteConditionError` when it does not hold. The
built-in conditions are plain frozen dataclasses, so SQL adapters can compile them to a
native check; custom conditions subclass :class:`WriteCondition`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from tidings._model.events import StoredEvent
from tidings._model.identifiers import StreamIdentifier
from tidings._model.jsonvalues import shown
from tidings.errors import UnmetWriteConditionError, ValidationError

__all__ = [
    "MAX_COUNT",
    "AllOf",
    "AnyOf",
    "NoCondition",
    "PositionIs",
    "StreamExists",
    "StreamIsEmpty",
    "WriteCondition",
    "check_count",
    "describe_last_position",
    "position_is",
    "stream_exists",
    "stream_is_empty",
]


MAX_COUNT = 2**63 - 1
"""The largest position, sequence number, ``after`` or ``limit`` a store accepts: the
largest signed 64-bit integer, which every backend can store and compare."""


def check_count(value: object, field: str) -> int:
    """Return ``value`` as a plain int if it is an int in ``0..MAX_COUNT`` (not a bool),
    else raise :class:`ValidationError`: every adapter sees the same range (rules 8, 15)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(field, f"must be an int or None, got {shown(value)}")
    if value < 0:
        raise ValidationError(field, f"must be >= 0, got {shown(value)}")
    if value > MAX_COUNT:
        raise ValidationError(field, "must be at most 2**63 - 1 (a signed 64-bit integer)")
    return int(value)


def describe_last_position(last_event: StoredEvent | None) -> str:
    """How a condition error describes what it found."""
    return "an empty stream" if last_event is None else f"last position {last_event.position}"


class WriteCondition(ABC):
    """A precondition on the target stream of a publish. Compose with ``&`` and ``|``."""

    @abstractmethod
    def holds_for(self, last_event: StoredEvent | None) -> bool:
        """Whether the condition holds, given the stream's last event (None when empty)."""

    @abstractmethod
    def describe(self) -> str:
        """What the condition expects, in words, for error messages."""

    def assert_met_by(self, *, last_event: StoredEvent | None, stream: StreamIdentifier) -> None:
        """Raise :class:`UnmetWriteConditionError` unless the condition holds."""
        if not self.holds_for(last_event):
            raise UnmetWriteConditionError(
                stream, self.describe(), describe_last_position(last_event)
            )

    def __and__(self, other: WriteCondition) -> WriteCondition:
        return AllOf((*_flatten(self, AllOf), *_flatten(other, AllOf)))

    def __or__(self, other: WriteCondition) -> WriteCondition:
        return AnyOf((*_flatten(self, AnyOf), *_flatten(other, AnyOf)))


def _flatten(
    condition: WriteCondition, kind: type[AllOf] | type[AnyOf]
) -> tuple[WriteCondition, ...]:
    if not isinstance(condition, WriteCondition):
        raise TypeError(f"cannot compose a WriteCondition with {type(condition).__name__}")
    return condition.conditions if isinstance(condition, kind) else (condition,)


@dataclass(frozen=True, slots=True)
class NoCondition(WriteCondition):
    """Always holds: the default for an unchecked publish."""

    def holds_for(self, last_event: StoredEvent | None) -> bool:
        return True

    def describe(self) -> str:
        return "anything"


@dataclass(frozen=True, slots=True)
class PositionIs(WriteCondition):
    """Holds when the stream's last position is ``position`` (None: the stream is empty)."""

    position: int | None

    def __post_init__(self) -> None:
        if self.position is not None:  # an IntEnum or other int subclass becomes an int
            object.__setattr__(self, "position", check_count(self.position, "position"))

    def holds_for(self, last_event: StoredEvent | None) -> bool:
        found = None if last_event is None else last_event.position
        return found == self.position

    def describe(self) -> str:
        return "an empty stream" if self.position is None else f"last position {self.position}"


@dataclass(frozen=True, slots=True)
class StreamIsEmpty(WriteCondition):
    """Holds when the stream has no events."""

    def holds_for(self, last_event: StoredEvent | None) -> bool:
        return last_event is None

    def describe(self) -> str:
        return "an empty stream"


@dataclass(frozen=True, slots=True)
class StreamExists(WriteCondition):
    """Holds when the stream has at least one event."""

    def holds_for(self, last_event: StoredEvent | None) -> bool:
        return last_event is not None

    def describe(self) -> str:
        return "a stream with events"


@dataclass(frozen=True, slots=True)
class AllOf(WriteCondition):
    """Holds when every one of ``conditions`` holds (``a & b``)."""

    conditions: tuple[WriteCondition, ...]

    def holds_for(self, last_event: StoredEvent | None) -> bool:
        return all(condition.holds_for(last_event) for condition in self.conditions)

    def describe(self) -> str:
        return " and ".join(f"({condition.describe()})" for condition in self.conditions)


@dataclass(frozen=True, slots=True)
class AnyOf(WriteCondition):
    """Holds when at least one of ``conditions`` holds (``a | b``)."""

    conditions: tuple[WriteCondition, ...]

    def holds_for(self, last_event: StoredEvent | None) -> bool:
        return any(condition.holds_for(last_event) for condition in self.conditions)

    def describe(self) -> str:
        return " or ".join(f"({condition.describe()})" for condition in self.conditions)


def position_is(position: int | None) -> PositionIs:
    """Expect the stream's last position to be ``position``; None expects an empty stream."""
    return PositionIs(position)


def stream_is_empty() -> StreamIsEmpty:
    """Expect the stream to have no events."""
    return StreamIsEmpty()


def stream_exists() -> StreamExists:
    """Expect the stream to have at least one event."""
    return StreamExists()
