"""The projections table: added to older schemas by migration, and read through its indexes."""

from __future__ import annotations

import json
from typing import Any

import psycopg

import tidings
from postgres_server import SchemaFactory
from tidings import NewEvent, Projection, StreamIdentifier
from tidings_postgres.adapter import PostgresProjectionStorage
from tidings_postgres.schema import SCHEMA_VERSION, ddl, render

from .support import raw_publish


def _versions(conn: psycopg.Connection[tuple[Any, ...]], name: str) -> list[int]:
    query = render("SELECT version FROM {s}.schema_version ORDER BY version", name)
    return [row[0] for row in conn.execute(query).fetchall()]


def test_a_version_1_schema_migrates_and_keeps_its_events(schemas: SchemaFactory) -> None:
    name = schemas.name()
    with schemas.connect() as conn:
        conn.execute(ddl(name, upto=1).encode())
        conn.execute(render("INSERT INTO {s}.schema_version (version) VALUES (1)", name))
        raw_publish(conn, name, "c", "s", [NewEvent(name="e", payload={"n": n}) for n in range(3)])
        assert conn.execute("SELECT to_regclass(%s)", [f"{name}.projections"]).fetchone() == (None,)
    with tidings.connect(schemas.url(name)) as store:
        assert [event.payload["n"] for event in store.log().read()] == [0, 1, 2]
        store.projections.save(Projection(name="p", id="1", state={"n": 1}))
        loaded = store.projections.load(name="p", id="1")
        assert loaded is not None
        assert loaded.state == {"n": 1}
        store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
        assert [event.position for event in store.log().read()] == [0, 1, 2, 3]
    with schemas.connect() as conn:
        assert _versions(conn, name) == [1, SCHEMA_VERSION]


def test_a_new_schema_is_created_at_the_latest_version_in_one_step(
    schemas: SchemaFactory,
) -> None:
    name = schemas.name()
    tidings.connect(schemas.url(name)).close()
    with schemas.connect() as conn:
        assert _versions(conn, name) == [SCHEMA_VERSION]


def _plan(conn: psycopg.Connection[tuple[Any, ...]], query: str, params: list[object]) -> str:
    row = conn.execute(f"EXPLAIN (FORMAT JSON) {query}", params).fetchone()
    assert row is not None
    return json.dumps(row[0])


def test_load_and_locate_read_an_index(schemas: SchemaFactory) -> None:
    name = schemas.name()
    with tidings.connect(schemas.url(name)) as store:
        storage = store.adapter.projections()
        assert isinstance(storage, PostgresProjectionStorage)
        store.projections.save(
            Projection(name="n3", id="s3", state={}, source=StreamIdentifier("c", "s3"))
        )
    with schemas.connect() as conn:
        conn.execute(
            render(
                "INSERT INTO {s}.projections (name, id, state, source, projector_version,"
                " created_at, updated_at)"
                " SELECT 'n' || (i % 50), 's' || i, '{{\"i\": ' || i || '}}',"
                ' \'["stream","c","s\' || i || \'"]\', 1, now(), now()'
                " FROM generate_series(4, 19999) AS i",
                name,
            )
        )
        conn.execute(render("ANALYZE {s}.projections", name))
        load = _plan(conn, storage.statements.load_statement, ["n3", "s3"])
        locate = _plan(conn, storage.statements.locate_statement, ["n3", '["stream","c","s3"]'])
    assert "projections_pkey" in load
    assert "projections_source_idx" in locate
    assert "Seq Scan" not in load + locate
    assert '"Sort"' not in locate
