"""``itertools`` for async iterators, where the async face needs one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

__all__ = ["aislice"]

T = TypeVar("T")


async def aislice(items: AsyncIterator[T], size: int | None) -> AsyncIterator[T]:
    """The first ``size`` items (all of them when ``size`` is None), like ``islice``."""
    taken = 0
    while size is None or taken < size:
        try:
            yield await anext(items)
        except StopAsyncIteration:
            return
        taken += 1
