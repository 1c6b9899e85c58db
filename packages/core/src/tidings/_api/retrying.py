# Generated from async_retrying.py by tools/unasync.py: do not edit.
"""Publishing with retries that never duplicate: every event gets its id before the
first attempt, and each retry sends the very same events, so an attempt that was stored
after all is returned as stored instead of being written twice (contract rule 10)."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from tidings._model.events import NewEvent
from tidings.errors import StorageError, ValidationError

__all__ = ["publish_with_retry", "with_ids"]

T = TypeVar("T")


def with_ids(events: Sequence[NewEvent]) -> list[NewEvent]:
    """``events``, each without an id given a fresh UUID; events with ids are kept."""
    return [
        event if event.id is not None else replace(event, id=str(uuid.uuid4())) for event in events
    ]


def _check(attempts: object, backoff: object, max_backoff: object) -> None:
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 1000:
        raise ValidationError("attempts", f"must be an int from 1 to 1000, got {attempts!r}")
    for field, value in (("backoff", backoff), ("max_backoff", max_backoff)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 <= value <= 3600
        ):
            raise ValidationError(field, f"must be seconds from 0 to 3600, got {value!r}")


def publish_with_retry(
    publish: Callable[[list[NewEvent]], T],
    events: Sequence[NewEvent],
    *,
    attempts: int = 10,
    backoff: float = 0.1,
    max_backoff: float = 2.0,
) -> T:
    """Call ``publish(events)`` until it succeeds, with the same event ids every time.

    Events without an id get one first (:func:`with_ids`). A
    :class:`~tidings.StorageError` (a lost connection, an unknown outcome, a failover
    in progress, a busy store) is retried after ``backoff`` seconds, doubling up to
    ``max_backoff``, ``attempts`` times in all; then the last error is raised. Any other
    error (an unmet condition, a duplicate id, invalid input) is an answer, raised at
    once. Because the ids are fixed, an attempt whose outcome was unknown but that was
    stored is returned as stored by the next one, never written twice.
    """
    _check(attempts, backoff, max_backoff)
    fixed = with_ids(events)
    for attempt in range(1, attempts + 1):
        try:
            return publish(list(fixed))
        except StorageError:
            if attempt == attempts:
                raise
        delay = min(max_backoff, backoff * 2 ** (attempt - 1))

        time.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")
