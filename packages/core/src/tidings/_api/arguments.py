"""Public call arguments turned into validated adapter requests, for both API faces."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tidings._model.conditions import NoCondition, WriteCondition, check_count
from tidings._model.events import NewEvent
from tidings._model.identifiers import CategoryIdentifier, Identifier, StreamIdentifier
from tidings._model.names import validate_name
from tidings._protocol.publishing import validate_batches
from tidings._protocol.requests import ScanRequest, StreamBatch
from tidings._typed.codecs import is_pydantic_model
from tidings._typed.registry import EventTypes, default_event_types
from tidings.errors import ValidationError

__all__ = ["Batch", "category_batches", "scan_request", "stream_batch"]


class Batch:
    """Events for one stream of a multi-stream publish, with that stream's condition.

    Events are :class:`NewEvent` or instances of registered event types."""

    __slots__ = ("condition", "events")

    def __init__(self, events: Sequence[Any], condition: WriteCondition | None = None) -> None:
        self.events = events
        self.condition = NoCondition() if condition is None else condition

    def __repr__(self) -> str:
        return f"Batch(events={list(self.events)!r}, condition={self.condition!r})"


def stream_batch(
    stream: StreamIdentifier,
    events: Sequence[Any] | Batch,
    condition: WriteCondition | None = None,
    types: EventTypes | None = None,
) -> StreamBatch:
    """A validated single-stream publish."""
    value = events if isinstance(events, Batch) else Batch(events, condition)
    batch = _batch(stream, value, types)
    validate_batches([batch])
    return batch


def category_batches(
    category: CategoryIdentifier,
    streams: Mapping[str, Sequence[Any] | Batch],
    types: EventTypes | None = None,
) -> list[StreamBatch]:
    """A validated multi-stream publish within ``category``."""
    if not isinstance(streams, Mapping):
        raise ValidationError("streams", "must be a mapping of stream name to events")
    batches = [
        _batch(StreamIdentifier(category.category, name), value, types)
        for name, value in streams.items()
    ]
    validate_batches(batches)
    return batches


def _batch(
    stream: StreamIdentifier, value: Sequence[Any] | Batch, types: EventTypes | None
) -> StreamBatch:
    batch = value if isinstance(value, Batch) else Batch(value)
    events = batch.events
    if type(events) not in (list, tuple) and (
        isinstance(events, str | bytes | Mapping) or not isinstance(events, Iterable)
    ):
        raise ValidationError("events", "must be a sequence of NewEvent")
    items = tuple(events)
    if not all(type(item) is NewEvent for item in items):
        items = tuple(_new_event(item, index, types) for index, item in enumerate(items))
    return StreamBatch(stream, items, batch.condition)


def _new_event(item: object, index: int, types: EventTypes | None) -> Any:
    """A typed instance becomes its NewEvent; anything else is left for
    :func:`validate_batches` to accept or reject."""
    if isinstance(item, NewEvent):
        return item
    registry = default_event_types() if types is None else types
    kind = type(item)
    if kind in registry or is_pydantic_model(kind) or dataclasses.is_dataclass(kind):
        return registry.new_event(item, field=f"events[{index}]")
    return item


def scan_request(
    target: Identifier, after: int | None, limit: int | None, names: Iterable[str] | None
) -> ScanRequest:
    """A validated scan: ``after`` and ``limit`` are ints in ``0..2**63 - 1``, ``names`` a
    collection of names."""
    after = None if after is None else check_count(after, "after")
    limit = None if limit is None else check_count(limit, "limit")
    name_set = None
    if names is not None:
        if isinstance(names, str | bytes) or not isinstance(names, Iterable):
            raise ValidationError(
                "names", f"must be a collection of names, not a single {type(names).__name__}"
            )
        name_set = frozenset(validate_name(name, "names") for name in names)
    return ScanRequest(target, after, limit, name_set)
