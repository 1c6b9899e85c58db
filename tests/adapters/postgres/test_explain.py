"""EXPLAIN proves that every scan shape and every lookup of the append uses an index."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

import tidings
from postgres_server import SchemaFactory
from tidings import CategoryIdentifier, LogIdentifier, StreamIdentifier
from tidings._model.identifiers import Identifier
from tidings_postgres.schema import render
from tidings_postgres.statements import Statements, scope_parameters


@pytest.fixture
def filled(schemas: SchemaFactory) -> Any:
    """A schema with 20,000 events over 200 categories of 5 streams, analysed."""
    name = schemas.name()
    tidings.connect(schemas.url(name)).close()
    with schemas.connect() as conn:
        conn.execute(
            render(
                "INSERT INTO {s}.events (id, name, category, stream, position, payload,"
                " metadata, occurred_at, observed_at)"
                " SELECT 'id' || i, 'e' || (i % 7), 'c' || (i % 200), 's' || (i % 1000),"
                " i / 1000, '{{}}', '{{}}', now(), now() FROM generate_series(0, 19999) AS i",
                name,
            )
        )
        conn.execute(render("ANALYZE {s}.events", name))
    return name


def _plan(conn: psycopg.Connection[tuple[Any, ...]], query: str, params: Any) -> str:
    row = conn.execute(f"EXPLAIN (FORMAT JSON) {query}", params).fetchone()
    assert row is not None
    return json.dumps(row[0])


TARGETS: dict[str, tuple[Identifier, str]] = {
    "log": (LogIdentifier(), "events_pkey"),
    "category": (CategoryIdentifier("c3"), "events_category_sequence_idx"),
    "stream": (StreamIdentifier("c3", "s3"), "events_stream_sequence_idx"),
}


@pytest.mark.parametrize("scope", TARGETS)
@pytest.mark.parametrize("filtered", [False, True])
def test_a_scan_page_reads_its_index(
    schemas: SchemaFactory, filled: str, scope: str, filtered: bool
) -> None:
    target, index = TARGETS[scope]
    params: dict[str, object] = {**scope_parameters(target), "after": 10000, "limit": 100}
    if filtered:
        params["names"] = ["e1", "e2"]
    with schemas.connect() as conn:
        plan = _plan(conn, Statements.for_schema(filled).scan(target, filtered=filtered), params)
    assert index in plan
    assert "Seq Scan" not in plan


@pytest.mark.parametrize("scope", TARGETS)
def test_latest_reads_one_index_entry(schemas: SchemaFactory, filled: str, scope: str) -> None:
    target, index = TARGETS[scope]
    with schemas.connect() as conn:
        plan = _plan(conn, Statements.for_schema(filled).latest(target), scope_parameters(target))
    assert index in plan
    assert "Seq Scan" not in plan


def test_the_append_finds_the_last_position_and_retried_ids_by_index(
    schemas: SchemaFactory, filled: str
) -> None:
    with schemas.connect() as conn:
        last = _plan(
            conn,
            render(
                "SELECT max(position) FROM {s}.events WHERE category = %s AND stream = %s", filled
            ),
            ["c3", "s3"],
        )
        ids = _plan(conn, Statements.for_schema(filled).existing_ids, [["id1", "id2"]])
    assert "events_stream_position_key" in last or "events_stream_sequence_idx" in last
    assert "Seq Scan" not in last
    assert "events_id_key" in ids
    assert "Seq Scan" not in ids
