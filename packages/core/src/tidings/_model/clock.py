"""An injectable clock, so that tests can pin the time events are created."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock", "current_clock", "using_clock"]


class Clock(Protocol):
    """Anything that tells the current time as an aware datetime."""

    def now(self) -> datetime:
        """The current time, timezone-aware (the store records it as UTC)."""
        ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        """The wall-clock time now, in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that always tells the same time; handy in tests."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.at = at

    def now(self) -> datetime:
        """The time this clock was fixed at, every time."""
        return self.at


_SYSTEM_CLOCK = SystemClock()
_clock: ContextVar[Clock] = ContextVar("tidings_clock", default=_SYSTEM_CLOCK)


def current_clock() -> Clock:
    """Return the clock in force in this context."""
    return _clock.get()


@contextmanager
def using_clock(clock: Clock) -> Iterator[Clock]:
    """Use ``clock`` for events created inside the ``with`` block."""
    token = _clock.set(clock)
    try:
        yield clock
    finally:
        _clock.reset(token)
