"""Projection storage on PostgreSQL: exact round trips, hostile keys, racing saves."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest

from postgres_server import SchemaFactory
from tidings import EventStore, Projection, StorageError, field
from tidings_postgres.schema import render

MALICIOUS = "x') OR 1=1 --"


def test_state_loads_exactly_where_jsonb_would_not(store: EventStore) -> None:
    state = {"big": 1e16, "negative_zero": -0.0, "n": 1.25, "tenth": 0.1, "huge": 2**70}
    store.projections.save(Projection(name="p", id="1", state=state))
    loaded = store.projections.load(name="p", id="1")
    assert loaded is not None
    assert loaded.state == state
    assert type(loaded.state["big"]) is float
    assert math.copysign(1, loaded.state["negative_zero"]) == -1
    assert type(loaded.state["huge"]) is int


def test_timestamps_round_trip_to_the_microsecond_in_utc(store: EventStore) -> None:
    edges = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 5, 6, 7, 8, 9, 123457, tzinfo=timezone(timedelta(hours=-3))),
    ]
    for number, moment in enumerate(edges):
        store.projections.save(
            Projection(name="p", id=str(number), state={}, created_at=moment, updated_at=moment)
        )
        loaded = store.projections.load(name="p", id=str(number))
        assert loaded is not None
        assert (loaded.created_at, loaded.updated_at) == (moment, moment)
        assert loaded.created_at.tzinfo is UTC


def test_a_malicious_path_key_is_data(store: EventStore, schemas: SchemaFactory) -> None:
    store.projections.save(Projection(name="p", id="hostile", state={MALICIOUS: 1, "x": 2}))
    store.projections.save(Projection(name="p", id="plain", state={"x": 1}))
    for key in (MALICIOUS, "%s", "%(x)s", "{}", "x'::jsonb"):
        path = f"state.{key}"
        found = store.projections.search(where=[field(path) == 1], sort=[path]).items
        assert [p.id for p in found] == (["hostile"] if key == MALICIOUS else [])
        assert store.projections.count(where=[field(path).startswith(MALICIOUS)]) == 0
    by_value = store.projections.search(where=[field("state.x") == MALICIOUS]).items
    assert by_value == []
    assert store.projections.count() == 2


def test_a_path_through_a_list_is_missing_not_an_index(store: EventStore) -> None:
    store.projections.save(Projection(name="p", id="1", state={"tags": ["vip"], "n": {"0": 5}}))
    assert store.projections.count(where=[field("state.tags.0") == "vip"]) == 0
    assert store.projections.count(where=[field("state.tags.0") != "vip"]) == 1
    assert store.projections.count(where=[field("state.n.0") == 5]) == 1


def test_numbers_compare_exactly(store: EventStore) -> None:
    store.projections.save(Projection(name="p", id="tenth", state={"n": 0.1}))
    store.projections.save(Projection(name="p", id="odd", state={"n": 2**53 + 1}))
    assert [p.id for p in store.projections.search(where=[field("state.n") == 0.1]).items] == [
        "tenth"
    ]
    assert store.projections.count(where=[field("state.n") == float(2**53)]) == 0
    assert store.projections.count(where=[field("state.n") > float(2**53)]) == 1
    assert store.projections.count(where=[field("state.n") == 2**53 + 1]) == 1


def test_concurrent_saves_of_one_projection_leave_one_row(
    store: EventStore, schemas: SchemaFactory
) -> None:
    def save(number: int) -> None:
        for round in range(10):
            store.projections.save(Projection(name="p", id="same", state={"n": number, "r": round}))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(save, range(8)))
    assert store.projections.count() == 1
    loaded = store.projections.load(name="p", id="same")
    assert loaded is not None
    assert loaded.state["n"] in range(8)
    assert loaded.state["r"] == 9
    schema = store.adapter.options.schema  # type: ignore[attr-defined]
    with schemas.connect() as conn:
        rows = conn.execute(render("SELECT count(*) FROM {s}.projections", schema)).fetchone()
    assert rows == (1,)


def test_server_errors_are_translated(store: EventStore, schemas: SchemaFactory) -> None:
    schema = store.adapter.options.schema  # type: ignore[attr-defined]
    with schemas.connect() as conn:
        conn.execute(render("DROP TABLE {s}.projections", schema))
    with pytest.raises(StorageError, match="save a projection"):
        store.projections.save(Projection(name="p", id="1", state={}))
    with pytest.raises(StorageError, match="read from"):
        store.projections.search(where=[field("state.x") == 1])
