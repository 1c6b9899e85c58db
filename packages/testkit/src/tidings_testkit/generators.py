"""Random data generators for event attributes, for users' own tests."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

__all__ = [
    "random_category",
    "random_datetime",
    "random_event_id",
    "random_event_name",
    "random_payload",
    "random_stream",
]

_rng = random.Random()


def _word(length: int = 8) -> str:
    return "".join(_rng.choices(string.ascii_lowercase, k=length))


def random_category() -> str:
    """A category name such as ``orders-kqzjwhab``."""
    return f"category-{_word()}"


def random_stream() -> str:
    """A stream name such as ``stream-pxlmwqrt``."""
    return f"stream-{_word()}"


def random_event_name() -> str:
    """An event name such as ``thing-happened-abcdefgh``."""
    return f"thing-happened-{_word()}"


def random_event_id() -> str:
    """A fresh UUID string."""
    return str(uuid4())


def random_payload(keys: int = 3) -> dict[str, Any]:
    """A small JSON object with string, int, float, bool, list and nested values."""
    makers: list[Callable[[], Any]] = [
        lambda: _word(),
        lambda: _rng.randint(-(10**9), 10**9),
        lambda: round(_rng.uniform(-1000, 1000), 3),
        lambda: _rng.random() < 0.5,
        lambda: [_rng.randint(0, 9) for _ in range(3)],
        lambda: {"nested": _word(4)},
        lambda: None,
    ]
    return {_word(6): _rng.choice(makers)() for _ in range(keys)}


def random_datetime() -> datetime:
    """An aware UTC datetime within the last ten years, with microseconds."""
    now = datetime.now(UTC)
    return now - timedelta(microseconds=_rng.randint(0, 10 * 365 * 24 * 3600 * 10**6))
