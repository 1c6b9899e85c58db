"""Public call arguments turned into validated adapter requests, for both API faces."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from tidings._model.conditions import NoCondition, WriteCondition, check_count
from tidings._model.events import NewEvent
from tidings._model.identifiers import CategoryIdentifier, Identifier, StreamIdentifier
from tidings._model.names import validate_name
from tidings._protocol.publishing import validate_batches
from tidings._protocol.requests import ScanRequest, StreamBatch
from tidings.errors import ValidationError

__all__ = ["Batch", "category_batches", "scan_request", "stream_batch"]


class Batch:
    """Events for one stream of a multi-stream publish, with that stream's condition."""

    __slots__ = ("condition", "events")

    def __init__(self, events: Sequence[NewEvent], condition: WriteCondition | None = None) -> None:
        self.events = events
        self.condition = NoCondition() if condition is None else condition

    def __repr__(self) -> str:
        return f"Batch(events={list(self.events)!r}, condition={self.condition!r})"


def stream_batch(
    stream: StreamIdentifier,
    events: Sequence[NewEvent] | Batch,
    condition: WriteCondition | None = None,
) -> StreamBatch:
    """A validated single-stream publish."""
    batch = _batch(stream, events if isinstance(events, Batch) else Batch(events, condition))
    validate_batches([batch])
    return batch


def category_batches(
    category: CategoryIdentifier, streams: Mapping[str, Sequence[NewEvent] | Batch]
) -> list[StreamBatch]:
    """A validated multi-stream publish within ``category``."""
    if not isinstance(streams, Mapping):
        raise ValidationError("streams", "must be a mapping of stream name to events")
    batches = [
        _batch(StreamIdentifier(category.category, name), value) for name, value in streams.items()
    ]
    validate_batches(batches)
    return batches


def _batch(stream: StreamIdentifier, value: Sequence[NewEvent] | Batch) -> StreamBatch:
    batch = value if isinstance(value, Batch) else Batch(value)
    events = batch.events
    if type(events) not in (list, tuple) and (
        isinstance(events, str | bytes | Mapping) or not isinstance(events, Iterable)
    ):
        raise ValidationError("events", "must be a sequence of NewEvent")
    return StreamBatch(stream, tuple(events), batch.condition)


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
