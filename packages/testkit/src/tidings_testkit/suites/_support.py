"""Small helpers shared by the suites."""

from __future__ import annotations

from typing import Any

from tidings import NewEvent, StoredEvent

__all__ = ["events", "summary"]


def events(count: int, *, name: str = "thing-happened", **fields: Any) -> list[NewEvent]:
    """``count`` events whose payloads carry their index, so order can be checked."""
    return [NewEvent(name=name, payload={"index": index}, **fields) for index in range(count)]


def summary(stored: list[StoredEvent]) -> list[tuple[str, str, int, Any]]:
    """(category, stream, position, payload) of each event: what order checks compare."""
    return [(e.category, e.stream, e.position, e.payload) for e in stored]
