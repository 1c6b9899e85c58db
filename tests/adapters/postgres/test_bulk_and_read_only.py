"""PostgreSQL's bulk load (``COPY``), ``statistics()`` and read-only mode (``mode=ro``),
on both faces: what ``tidings copy``, ``tidings stats`` and the inspecting commands use."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

import tidings
from postgres_server import SchemaFactory
from tidings import (
    ConfigurationError,
    DuplicateEventIdError,
    EventStore,
    NewEvent,
    StoredEvent,
    UnmetWriteConditionError,
    UnsupportedCapabilityError,
)
from tidings.adapters import Capability
from tidings_testkit import ReferenceAdapter


def _source(streams: int = 3, events: int = 4) -> list[StoredEvent]:
    """Events of another store: interleaved streams, explicit times."""
    # The testkit's reference model: the isolated PostgreSQL install has no memory://.
    with EventStore(ReferenceAdapter()) as store:
        scope = store.category(category="c")
        for index in range(events):
            scope.publish(
                streams={
                    f"s{j}": [
                        NewEvent(
                            name="x",
                            payload={"i": index, "text": "ünï ✓", "big": 2**62, "f": 0.1},
                            metadata={"j": j},
                            occurred_at=datetime(2001, 1, 1, tzinfo=UTC),
                        )
                    ]
                    for j in range(streams)
                }
            )
        return store.log().read()


def _kept(event: StoredEvent) -> tuple[object, ...]:
    fields = ("id", "name", "category", "stream", "position", "payload", "metadata")
    times = (event.occurred_at, event.observed_at, event.recorded_at)
    return (*(getattr(event, name) for name in fields), *times)


def test_bulk_load_keeps_everything_but_sequence_numbers(store: EventStore) -> None:
    assert Capability.BULK_LOAD in store.adapter.capabilities
    events = _source()
    store.adapter.bulk_load(events[:5])
    store.adapter.bulk_load(events[5:])
    store.adapter.bulk_load([])
    loaded = store.log().read()
    assert [_kept(e) for e in loaded] == [_kept(e) for e in events]
    numbers = [e.sequence_number for e in loaded]
    assert numbers == sorted(numbers)
    # the store goes on as usual after a load: positions continue
    stream = store.stream(category="c", stream="s1")
    assert stream.publish(events=[NewEvent(name="after")])[0].position == 4


def test_bulk_load_is_seen_by_a_subscription(store: EventStore) -> None:
    events = _source()
    store.adapter.bulk_load(events)
    with store.log().subscribe(start="beginning", until_caught_up=True) as subscription:
        assert [e.id for e in subscription] == [e.id for e in events]


def test_bulk_load_refuses_a_stream_it_does_not_continue(store: EventStore) -> None:
    events = _source()
    store.adapter.bulk_load(events[:3])  # s0, s1, s2 at position 0
    with pytest.raises(UnmetWriteConditionError) as caught:
        store.adapter.bulk_load(events[:1])  # position 0 again
    assert caught.value.stream.stream == "s0"
    assert "found last position 0" in str(caught.value)
    skipping = [e for e in events if e.stream == "s0" and e.position == 2]
    with pytest.raises(UnmetWriteConditionError, match="last position 1"):
        store.adapter.bulk_load(skipping)  # leaves out position 1
    with pytest.raises(UnmetWriteConditionError, match="next in the loaded events"):
        store.adapter.bulk_load([events[3], events[9]])  # s0 at 1, then s0 at 3
    assert len(store.log().read()) == 3  # nothing of a refused load was written


def test_bulk_load_names_a_duplicate_id(store: EventStore) -> None:
    events = _source()
    store.adapter.bulk_load(events[:3])
    stolen = StoredEvent(**{**events[3].to_dict(), "id": events[0].id} | _times(events[3]))
    with pytest.raises(DuplicateEventIdError) as caught:
        store.adapter.bulk_load([stolen])
    assert caught.value.event_id == events[0].id
    twice = [
        events[3],
        StoredEvent(**{**events[4].to_dict(), "id": events[3].id} | _times(events[4])),
    ]
    with pytest.raises(DuplicateEventIdError):
        store.adapter.bulk_load(twice)
    assert len(store.log().read()) == 3


def _times(event: StoredEvent) -> dict[str, datetime]:
    return {
        "occurred_at": event.occurred_at,
        "observed_at": event.observed_at,
        "recorded_at": event.recorded_at,
    }


def test_bulk_load_on_the_async_face(schemas: SchemaFactory) -> None:
    events = _source()

    async def main() -> list[StoredEvent]:
        async with await tidings.connect_async(schemas.url()) as store:
            await store.adapter.bulk_load(events)
            return await store.log().read()

    assert [_kept(e) for e in asyncio.run(main())] == [_kept(e) for e in events]


def test_statistics(store: EventStore) -> None:
    store.adapter.bulk_load(_source(streams=3, events=4))
    store.stream(category="other", stream="x").publish(events=[NewEvent(name="y")])
    figures = store.adapter.statistics()
    assert (figures.events, figures.streams, figures.categories) == (13, 4, 2)
    assert figures.schema_version == 3
    assert figures.size_bytes is not None
    assert figures.size_bytes > 8192


def test_read_only_mode_reads_and_never_writes(schemas: SchemaFactory) -> None:
    url = schemas.url()
    with tidings.connect(url) as store:
        store.adapter.bulk_load(_source())
    with tidings.connect(url, mode="ro") as store:
        assert len(store.log().read()) == 12
        assert store.adapter.statistics().events == 12
        with pytest.raises(UnsupportedCapabilityError, match="read-only"):
            store.stream(category="c", stream="s0").publish(events=[NewEvent(name="x")])
        with pytest.raises(UnsupportedCapabilityError, match="read-only"):
            store.adapter.bulk_load(_source())
        with pytest.raises(UnsupportedCapabilityError, match="read-only"):
            store.adapter.initialise()
    with tidings.connect(url) as store:
        assert len(store.log().read()) == 12


def test_read_only_mode_never_creates_a_schema(schemas: SchemaFactory) -> None:
    name = schemas.name()
    with pytest.raises(ConfigurationError, match=f"no tidings schema {name!r}"):
        tidings.connect(schemas.url(name), mode="ro")
    with schemas.connect() as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", [name]
        ).fetchone()
    assert found == (0,)


def test_mode_must_be_auto_or_ro(schemas: SchemaFactory) -> None:
    with pytest.raises(ConfigurationError, match="option 'mode' must be 'auto' or 'ro'"):
        tidings.connect(schemas.url(), mode="rw")
