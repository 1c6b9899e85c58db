"""Scans: keyset pages, filters in SQL, and nothing held open between pages."""

from __future__ import annotations

import pytest

import tidings
from postgres_server import SchemaFactory
from tidings import NewEvent


def test_a_scan_crosses_page_boundaries_without_losing_or_repeating_events(
    schemas: SchemaFactory,
) -> None:
    with tidings.connect(schemas.url(), page_size=3) as store:
        stream = store.stream(category="c", stream="s")
        stored = stream.publish(events=[NewEvent(name=f"e{n % 2}") for n in range(10)])
        assert stream.read() == stored
        assert store.log().read(after=2, limit=7) == stored[2:9]
        assert store.category(category="c").read(names=["e1"]) == stored[1::2]
        assert store.log().read(names=["e0"], limit=4) == stored[0:8:2]


def test_no_transaction_or_connection_is_held_between_pages(schemas: SchemaFactory) -> None:
    with tidings.connect(schemas.url(), page_size=2, application_name="tidings-pages") as store:
        store.stream(category="c", stream="s").publish(
            events=[NewEvent(name="e") for _ in range(6)]
        )
        iterator = store.log().iterate()
        next(iterator)
        with schemas.connect() as admin:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tidings-pages'"
                " AND state <> 'idle'"
            ).fetchone()
        assert row == (0,)
        assert len(list(iterator)) == 5


@pytest.mark.parametrize("ordering", ["log", "category", "stream"])
def test_publish_returns_what_a_read_returns_field_for_field(
    schemas: SchemaFactory, ordering: str
) -> None:
    payload = {
        "float": 1e16,
        "neg_zero": -0.0,
        "big": 2**70,
        "text": "é\u2028\"'",
        "list": [1, None],
    }
    with tidings.connect(schemas.url(), ordering=ordering) as store:
        stored = store.category(category="c").publish(
            streams={
                "a": [NewEvent(name="e", payload=payload, metadata={"m": [True]})],
                "b": [NewEvent(name="f", id="caller-id")],
            }
        )
        read = store.log().read()
        assert read == [*stored["a"], *stored["b"]]
        assert repr(read[0].payload) == repr(stored["a"][0].payload)
