"""``throwaway://`` (alias ``tw://``): events in a key-value store with compare-and-set.

The backend stands in for Redis, DynamoDB or etcd: values are JSON text, and the only
atomic operations are "read these keys" and "if these keys still hold these values, set
those". It cannot evaluate a caller's write condition, so the adapter implements the two
primitives of :class:`~tidings.adapters.OptimisticAdapter` and the core decides.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime
from typing import Any, Self

from tidings.adapters import (
    URL,
    Capability,
    CategoryIdentifier,
    Commit,
    ConfigurationError,
    Heads,
    Identifier,
    NoOptions,
    OptimisticAdapter,
    Projection,
    ProjectionRow,
    ProjectionStorage,
    Query,
    ScanRequest,
    StoredEvent,
    StreamIdentifier,
    decode_json,
    encode_json,
    evaluate_query,
    projection_from_row,
    projection_to_row,
)

PAGE_SIZE = 200
"""Events a scan reads per round trip."""

Key = tuple[str, ...]
COUNTER: Key = ("sequence",)
"""The key of the last sequence number given."""


class KeyValueStore:
    """The backend: keys to JSON text. Each method is one atomic round trip."""

    def __init__(self) -> None:
        self._data: dict[Key, Any] = {}
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[Key]) -> list[Any]:
        with self._lock:
            return [self._data.get(key) for key in keys]

    def range(self, key: Key, after: int, count: int) -> list[str]:
        """Up to ``count`` items of the sorted list at ``key`` whose score exceeds ``after``."""
        with self._lock:
            items: list[tuple[int, str]] = self._data.get(key, [])
            start = bisect_right(items, after, key=lambda item: item[0])
            return [text for _, text in items[start : start + count]]

    def last(self, key: Key) -> str | None:
        with self._lock:
            items = self._data.get(key)
            return items[-1][1] if items else None

    def compare_and_set(
        self,
        expected: dict[Key, Any],
        count: int,
        build: Callable[[int], tuple[dict[Key, Any], dict[Key, list[tuple[int, str]]]]],
    ) -> bool:
        """If every key of ``expected`` holds its value (None: the key is absent), take
        ``count`` numbers from the counter, then set the keys and append to the sorted
        lists that ``build(first number)`` gives, and return True; else change nothing."""
        with self._lock:
            if any(self._data.get(key) != value for key, value in expected.items()):
                return False
            first = self._data.get(COUNTER, 0) + 1
            self._data[COUNTER] = first + count - 1
            values, appends = build(first)
            self._data.update(values)
            for key, items in appends.items():
                self._data.setdefault(key, []).extend(items)
            return True


class ThrowawayAdapter(OptimisticAdapter):
    """Every rule of the contract on a compare-and-set backend."""

    scheme = "throwaway"
    capabilities = frozenset({Capability.PROJECTION_STORAGE})
    options_type = NoOptions

    def __init__(self) -> None:
        self._kv = KeyValueStore()
        self._projections = ThrowawayProjections()

    @classmethod
    def from_url(cls, url: URL, options: NoOptions) -> Self:
        if url.host or url.path or url.username or url.port:
            raise ConfigurationError(f"{url} takes no host or path: use throwaway://")
        return cls()

    def read_heads(self, streams: Sequence[StreamIdentifier], ids: Collection[str]) -> Heads:
        ordered = sorted(ids)
        keys = [_head(stream) for stream in streams] + [("id", i) for i in ordered]
        values = self._kv.get_many(keys)
        heads = values[: len(streams)]
        stored = values[len(streams) :]
        return Heads(
            last_events={s: _decode(h) for s, h in zip(streams, heads)},
            stored={i: _decode(text) for i, text in zip(ordered, stored) if text is not None},
        )

    def commit(self, commit: Commit) -> list[list[StoredEvent]] | None:
        expected: dict[Key, Any] = {("position", *_keys(s)): p for s, p in commit.expected.items()}
        expected.update({("id", i): None for i in commit.absent_ids})
        written: list[list[StoredEvent]] = []

        def build(first: int) -> tuple[dict[Key, Any], dict[Key, list[tuple[int, str]]]]:
            written[:] = commit.stored(first)
            values: dict[Key, Any] = {}
            appends: dict[Key, list[tuple[int, str]]] = {}
            for events in written:
                for event in events:
                    text = _encode(event)
                    number = event.sequence_number
                    values[("id", event.id)] = text
                    for key in (("log",), ("category", event.category), ("stream", *_keys(event))):
                        appends.setdefault(key, []).append((number, text))
                last = events[-1]
                values[_head(_stream(last))] = text
                values[("position", *_keys(last))] = last.position
            return values, appends

        if not self._kv.compare_and_set(expected, commit.size, build):
            return None
        return written

    def scan(self, request: ScanRequest) -> Iterator[StoredEvent]:
        key = _scope(request.target)
        after = request.after or 0
        remaining = request.limit
        while remaining is None or remaining > 0:
            page = [_event(text) for text in self._kv.range(key, after, PAGE_SIZE)]
            if not page:
                return
            after = page[-1].sequence_number
            for event in page:
                if request.names is None or event.name in request.names:
                    yield event
                    if remaining is not None:
                        remaining -= 1
                        if remaining == 0:
                            return

    def latest(self, target: Identifier) -> StoredEvent | None:
        return _decode(self._kv.last(_scope(target)))

    def projections(self) -> ThrowawayProjections:
        return self._projections


class ThrowawayProjections(ProjectionStorage):
    """Projections as rows (JSON state text), searched with the core's reference
    evaluator, so the query language means what it means everywhere."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], ProjectionRow] = {}
        self._lock = threading.Lock()

    def save(self, projection: Projection) -> None:
        self.save_all([projection])

    def save_all(self, projections: Sequence[Projection]) -> None:
        rows = [projection_to_row(projection) for projection in projections]
        with self._lock:
            self._rows.update(((row.name, row.id), row) for row in rows)

    def load(self, name: str, id: str) -> Projection | None:
        with self._lock:
            row = self._rows.get((name, id))
        return None if row is None else projection_from_row(row)

    def locate(self, name: str, source: Identifier) -> Projection | None:
        found = [p for p in self._all(name) if p.source == source]
        return min(found, key=lambda p: p.id, default=None)

    def search(self, query: Query) -> list[Projection]:
        return evaluate_query(self._all(query.name), query, _document)

    def count(self, query: Query) -> int:
        unpaged = Query(name=query.name, filters=query.filters)
        return len(evaluate_query(self._all(query.name), unpaged, _document))

    def _all(self, name: str | None) -> list[Projection]:
        with self._lock:
            rows = [row for (n, _), row in self._rows.items() if name in (None, n)]
        return [projection_from_row(row) for row in rows]


def _document(projection: Projection) -> Callable[[str], Any]:
    return lambda column: projection.state if column == "state" else getattr(projection, column)


def _keys(event_or_stream: StoredEvent | StreamIdentifier) -> tuple[str, str]:
    return (event_or_stream.category, event_or_stream.stream)


def _stream(event: StoredEvent) -> StreamIdentifier:
    return StreamIdentifier(event.category, event.stream)


def _head(stream: StreamIdentifier) -> Key:
    return ("head", *_keys(stream))


def _scope(target: Identifier) -> Key:
    if isinstance(target, StreamIdentifier):
        return ("stream", *_keys(target))
    if isinstance(target, CategoryIdentifier):
        return ("category", target.category)
    return ("log",)


_TIMES = ("occurred_at", "observed_at", "recorded_at")


def _encode(event: StoredEvent) -> str:
    fields = {
        "id": event.id,
        "name": event.name,
        "category": event.category,
        "stream": event.stream,
        "position": event.position,
        "sequence_number": event.sequence_number,
        "payload": event.payload,
        "metadata": event.metadata,
    }
    fields.update({name: getattr(event, name).isoformat() for name in _TIMES})
    return encode_json(fields)


def _event(text: str) -> StoredEvent:
    fields = decode_json(text)
    assert isinstance(fields, dict)
    for name in _TIMES:
        fields[name] = datetime.fromisoformat(str(fields[name]))
    return StoredEvent(**fields)


def _decode(text: str | None) -> StoredEvent | None:
    return None if text is None else _event(text)
