"""The schema: created on first use, once, versioned, and immutable by construction."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import psycopg
import pytest

import tidings
from postgres_server import SchemaFactory
from tidings import ConfigurationError, FixedClock, NewEvent, using_clock
from tidings_postgres.schema import SCHEMA_VERSION, render


def test_the_schema_is_created_on_first_use_and_records_its_version(
    schemas: SchemaFactory,
) -> None:
    name = schemas.name()
    tidings.connect(schemas.url(name)).close()
    with schemas.connect() as conn:
        rows = conn.execute(render("SELECT version FROM {s}.schema_version", name)).fetchall()
    assert rows == [(SCHEMA_VERSION,)]


def test_initialise_is_idempotent(schemas: SchemaFactory) -> None:
    with tidings.connect(schemas.url()) as store:
        stored = store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
        store.adapter.initialise()
        store.adapter.initialise()
        assert store.log().read() == stored


def test_stores_opening_a_new_schema_at_once_create_it_once(schemas: SchemaFactory) -> None:
    url = schemas.url()
    with ThreadPoolExecutor(max_workers=6) as pool:
        stores = list(pool.map(lambda _: tidings.connect(url), range(6)))
    for store in stores:
        store.close()
    with schemas.connect() as conn:
        rows = conn.execute(
            render("SELECT count(*) FROM {s}.schema_version", schemas.names[-1])
        ).fetchone()
    assert rows == (1,)


async def _first_async_reads(url: str) -> None:
    async with await tidings.connect_async(url) as store:
        for _ in range(2):  # the lock and the transaction were released: the same again
            with pytest.raises(ConfigurationError, match="version 99"):
                await store.log().read()


@pytest.mark.parametrize("face", ["sync", "async"])
def test_a_schema_from_a_newer_release_is_refused(schemas: SchemaFactory, face: str) -> None:
    name = schemas.name()
    tidings.connect(schemas.url(name)).close()
    with schemas.connect() as conn:
        conn.execute(render("INSERT INTO {s}.schema_version VALUES (%s)", name), [99])
    if face == "async":
        asyncio.run(_first_async_reads(schemas.url(name)))
        return
    with pytest.raises(ConfigurationError, match="version 99"):
        tidings.connect(schemas.url(name))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {s}.events SET name = 'changed'",
        "DELETE FROM {s}.events",
        "TRUNCATE {s}.events",
    ],
)
def test_stored_events_cannot_be_changed_or_deleted(schemas: SchemaFactory, statement: str) -> None:
    name = schemas.name()
    with tidings.connect(schemas.url(name)) as store:
        stored = store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
        with schemas.connect() as conn, pytest.raises(psycopg.Error, match="immutable"):
            conn.execute(render(statement, name))
        assert store.log().read() == stored


def test_sequence_numbers_start_at_one_and_recorded_at_comes_from_the_database(
    schemas: SchemaFactory,
) -> None:
    long_ago = datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
    with tidings.connect(schemas.url()) as store, schemas.connect() as conn:
        row = conn.execute("SELECT clock_timestamp()").fetchone()
        assert row is not None
        with using_clock(FixedClock(long_ago)):
            [stored] = store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
    assert stored.sequence_number == 1
    assert stored.observed_at == long_ago
    assert stored.recorded_at >= row[0]
    assert stored.recorded_at.tzinfo is UTC


def test_timestamps_round_trip_exactly_at_the_edges(schemas: SchemaFactory) -> None:
    edges = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    ]
    with tidings.connect(schemas.url()) as store:
        stream = store.stream(category="c", stream="s")
        stored = stream.publish(
            events=[NewEvent(name="e", occurred_at=at, observed_at=at) for at in edges]
        )
        assert stream.read() == stored
        assert [event.occurred_at for event in stream.read()] == edges
