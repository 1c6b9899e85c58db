"""Arguments of ``subscribe`` and of consumers, checked before anything is read."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from tidings._api.arguments import scan_request
from tidings._model.checkpoint import Checkpoint
from tidings._model.identifiers import Identifier
from tidings.errors import ValidationError

__all__ = ["Start", "SubscriptionArguments", "subscription_arguments"]

Start = Checkpoint | str | Literal["beginning", "end"]
"""Where a subscription starts: the beginning, the end, or after a checkpoint (a
:class:`~tidings.Checkpoint` or its ``str``)."""

MAX_POLL_INTERVAL = 3600.0


@dataclass(frozen=True, slots=True)
class SubscriptionArguments:
    """Validated arguments; ``start`` is a checkpoint, None (beginning) or ``"end"``."""

    start: Checkpoint | Literal["end"] | None
    names: frozenset[str] | None
    batch_size: int
    poll_interval: float


def subscription_arguments(
    target: Identifier,
    start: Start,
    names: Iterable[str] | None,
    batch_size: int,
    poll_interval: float,
) -> SubscriptionArguments:
    """Check a subscription's arguments, naming the field at fault."""
    chosen: Checkpoint | Literal["end"] | None
    if isinstance(start, Checkpoint):
        chosen = start
    elif start == "beginning":
        chosen = None
    elif start == "end":
        chosen = "end"
    elif isinstance(start, str):
        try:
            chosen = Checkpoint.parse(start)
        except ValidationError as error:
            raise ValidationError(
                "start", f"must be 'beginning', 'end' or a checkpoint: {error.reason}"
            ) from None
    else:
        raise ValidationError("start", f"must be 'beginning', 'end' or a Checkpoint, got {start!r}")
    if (
        not isinstance(batch_size, int)
        or isinstance(batch_size, bool)
        or not (1 <= batch_size <= 100_000)
    ):
        raise ValidationError("batch_size", f"must be an int from 1 to 100000, got {batch_size!r}")
    if (
        not isinstance(poll_interval, int | float)
        or isinstance(poll_interval, bool)
        or not math.isfinite(poll_interval)
        or not 0 < poll_interval <= MAX_POLL_INTERVAL
    ):
        raise ValidationError(
            "poll_interval",
            f"must be a number of seconds in (0, {MAX_POLL_INTERVAL:g}], got {poll_interval!r}",
        )
    checked_names = scan_request(target, None, None, names).names
    return SubscriptionArguments(chosen, checked_names, batch_size, float(poll_interval))
