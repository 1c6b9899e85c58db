"""Typed reads: the argument check and the per-event step both faces share."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from tidings._model.events import StoredEvent
from tidings._typed.registry import EventTypes, OnUnknown
from tidings.errors import ValidationError

__all__ = ["typed_reader"]


def typed_reader(types: object, on_unknown: object) -> Callable[[StoredEvent], Any]:
    """The function that turns each stored event of a typed read into its typed form,
    after checking the read's arguments (before any I/O)."""
    if not isinstance(types, EventTypes):
        raise ValidationError("types", f"must be an EventTypes registry, got {types!r}")
    if on_unknown not in ("raise", "untyped"):
        raise ValidationError("on_unknown", f"must be 'raise' or 'untyped', got {on_unknown!r}")
    policy: OnUnknown = "raise" if on_unknown == "raise" else "untyped"
    return partial(types.decode, on_unknown=policy)
