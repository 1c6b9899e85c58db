"""What the command line asks of an adapter (issue 15), proven on every adapter:

- ``statistics()``: every figure an adapter reports agrees with its events;
- ``bulk-load`` (:attr:`Capability.BULK_LOAD`): ``bulk_load`` keeps every field but the
  sequence number, and the log order; it refuses events that do not continue their
  streams, or whose ids are taken, and then writes nothing;
- ``read-only`` (:attr:`Capability.READ_ONLY`): the store opened again with
  ``mode="ro"`` reads everything and refuses to write, and the store is unchanged.

On the async face the adapter's coroutines are awaited on the suite's loop.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tidings import (
    Capability,
    DuplicateEventIdError,
    EventStore,
    NewEvent,
    StoredEvent,
    TidingsError,
    UnmetWriteConditionError,
)
from tidings_testkit.async_face import BlockingView
from tidings_testkit.reference import ReferenceAdapter
from tidings_testkit.suite import AdapterSuite, requires

__all__ = ["OperationsSuite"]


def _adapter_call(store: EventStore, name: str, *args: Any) -> Any:
    """``store.adapter.<name>(*args)`` on either face."""
    method = getattr(store.adapter, name)
    if isinstance(store, BlockingView):
        return store._call(method, *args)
    return method(*args)


def _elsewhere(streams: int = 3, per_stream: int = 4) -> list[StoredEvent]:
    """Events of another store: interleaved streams, explicit and distinct times."""
    moment = datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=UTC)
    # The reference model, not memory://: the testkit installs without tidings-memory.
    with EventStore(ReferenceAdapter()) as other:
        scope = other.category(category=f"bulk-{uuid.uuid4().hex[:8]}")
        for index in range(per_stream):
            scope.publish(
                streams={
                    f"s{stream}": [
                        NewEvent(
                            id=str(uuid.uuid4()),
                            name="moved",
                            payload={"i": index, "text": "ünï ✓", "big": 2**62, "f": 0.1},
                            metadata={"stream": stream},
                            occurred_at=moment - timedelta(days=index),
                            observed_at=moment,
                        )
                    ]
                    for stream in range(streams)
                }
            )
        return other.log().read()


def _kept(event: StoredEvent) -> tuple[Any, ...]:
    return (
        event.id,
        event.name,
        event.category,
        event.stream,
        event.position,
        event.payload,
        event.metadata,
        event.occurred_at,
        event.observed_at,
        event.recorded_at,
    )


class OperationsSuite(AdapterSuite):
    """``statistics()``, ``bulk_load`` and the read-only mode."""

    def test_statistics_agree_with_the_events(self, store: EventStore) -> None:
        store.category(category="stats-a").publish(
            streams={"s1": [NewEvent(name="x")] * 2, "s2": [NewEvent(name="x")]}
        )
        store.stream(category="stats-b", stream="s1").publish(events=[NewEvent(name="y")])
        figures = _adapter_call(store, "statistics")
        log = store.log().read()
        found = {
            "events": len(log),
            "streams": len({(e.category, e.stream) for e in log}),
            "categories": len({e.category for e in log}),
        }
        for name, count in found.items():
            reported = getattr(figures, name)
            assert reported is None or reported == count, (name, reported, count)
        assert figures.schema_version is None or figures.schema_version >= 1
        assert figures.size_bytes is None or figures.size_bytes > 0

    @requires(Capability.BULK_LOAD)
    def test_bulk_load_keeps_every_field_but_sequence_numbers(self, store: EventStore) -> None:
        before = store.stream(category="other", stream="x").publish(events=[NewEvent(name="a")])
        moved = _elsewhere()
        _adapter_call(store, "bulk_load", moved[:4])
        _adapter_call(store, "bulk_load", moved[4:])
        _adapter_call(store, "bulk_load", [])
        loaded = store.log().read()[1:]
        assert [_kept(e) for e in loaded] == [_kept(e) for e in moved]
        numbers = [e.sequence_number for e in loaded]
        assert numbers == sorted(numbers)
        assert numbers[0] > before[0].sequence_number
        stream = store.stream(category=moved[0].category, stream=moved[0].stream)
        assert stream.publish(events=[NewEvent(name="after")])[0].position == 4

    @requires(Capability.BULK_LOAD)
    def test_a_refused_bulk_load_writes_nothing(self, store: EventStore) -> None:
        moved = _elsewhere()
        _adapter_call(store, "bulk_load", moved[:3])  # every stream at position 0
        log = store.log().read()
        skipping = [e for e in moved if e.stream == moved[0].stream and e.position == 2]
        taken = _stored_as(moved[3], id=moved[0].id)
        twice = [moved[3], _stored_as(moved[4], id=moved[3].id)]
        later = _stored_as(moved[6], id=moved[0].id)  # continues its stream, id taken
        for refused, error in (
            (moved[:1], UnmetWriteConditionError),  # position 0 again
            (skipping, UnmetWriteConditionError),  # leaves out position 1
            ([moved[3], moved[9]], UnmetWriteConditionError),  # positions 1, 3: a gap
            ([taken], DuplicateEventIdError),  # an id the store holds
            (twice, DuplicateEventIdError),  # one id twice in the load
            ([*moved[3:6], later], DuplicateEventIdError),  # the good ones go too
        ):
            with pytest.raises(error):
                _adapter_call(store, "bulk_load", refused)
            assert store.log().read() == log

    def test_bulk_load_is_refused_without_the_capability(self, store: EventStore) -> None:
        if Capability.BULK_LOAD in store.capabilities:
            pytest.skip("the adapter bulk-loads: the tests above prove it")
        with pytest.raises(TidingsError, match="bulk-load"):
            _adapter_call(store, "bulk_load", _elsewhere())
        assert store.log().read() == []

    @requires(Capability.READ_ONLY)
    def test_read_only_mode_reads_and_never_writes(
        self, make_store: Callable[[], EventStore], store: EventStore
    ) -> None:
        store.category(category="ro").publish(streams={"a": [NewEvent(name="x")] * 2})
        log = store.log().read()
        location = self.location(store)
        reader = self.connect(location.url, **{**location.options, "mode": "ro"})
        try:
            assert reader.log().read() == log
            with pytest.raises(TidingsError, match="read-only"):
                reader.stream(category="ro", stream="a").publish(events=[NewEvent(name="y")])
        finally:
            reader.close()
        assert store.log().read() == log


def _stored_as(event: StoredEvent, **changes: Any) -> StoredEvent:
    fields = {name: getattr(event, name) for name in StoredEvent._fields}
    return StoredEvent(**{**fields, **changes})
