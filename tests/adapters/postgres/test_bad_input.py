"""Hostile names are data: a schema or category name never becomes SQL."""

from __future__ import annotations

import pytest
from psycopg import sql

import tidings
from postgres_server import SchemaFactory
from tidings import ConfigurationError, NewEvent, UnknownOptionError

MALICIOUS = 'x"; CREATE TABLE public.tidings_pwned (); --'


def _pwned_exists(schemas: SchemaFactory) -> bool:
    with schemas.connect() as conn:
        row = conn.execute("SELECT to_regclass('public.tidings_pwned') IS NOT NULL").fetchone()
    assert row is not None
    return bool(row[0])


def test_a_malicious_schema_name_is_an_odd_but_harmless_schema(schemas: SchemaFactory) -> None:
    schemas.names.append(MALICIOUS)
    with tidings.connect(schemas.server_url, schema=MALICIOUS) as store:
        stored = store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
        assert store.log().read() == stored
    assert not _pwned_exists(schemas)
    with schemas.connect() as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", [MALICIOUS]
        ).fetchone()
        rows = conn.execute(
            sql.SQL("SELECT count(*) FROM {}.events").format(sql.Identifier(MALICIOUS))
        ).fetchone()
    assert found == (1,)
    assert rows == (1,)


@pytest.mark.parametrize(
    "name",
    ["'); DROP TABLE events; --", 'c"; DELETE FROM events; --', "%s %(x)s {s}", "ünï'cødé\\"],
)
def test_a_malicious_category_or_stream_name_is_stored_as_data(
    schemas: SchemaFactory, name: str
) -> None:
    with tidings.connect(schemas.url()) as store:
        stream = store.stream(category=name, stream=name)
        stored = stream.publish(events=[NewEvent(name=name, payload={name: name})])
        assert stream.read() == stored
        assert store.category(category=name).read(names=[name]) == stored
        assert stored[0].category == name
        assert stored[0].stream == name


@pytest.mark.parametrize(
    ("schema", "reason"),
    [("", "non-empty"), ("a\x00b", "NUL"), ("x" * 64, "63 bytes"), ("pg_mine", "pg_")],
)
def test_an_impossible_schema_name_is_rejected_before_any_io(schema: str, reason: str) -> None:
    # Port 1 is closed: reaching the server would raise StorageError instead.
    with pytest.raises(ConfigurationError, match=reason):
        tidings.connect("postgresql://u:pw@127.0.0.1:1/db", schema=schema)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ordering": "global"}, "ordering"),
        ({"pool_max_size": 0}, "pool_max_size"),
        ({"pool_min_size": -1}, "pool_min_size"),
        ({"page_size": 0}, "page_size"),
        ({"lock_timeout": 0}, "lock_timeout"),
        ({"statement_timeout": -1}, "statement_timeout"),
        ({"connect_timeout": 0}, "connect_timeout"),
    ],
)
def test_an_invalid_option_is_rejected_before_any_io(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        tidings.connect("postgresql://u:pw@127.0.0.1:1/db", **options)


def test_an_unknown_option_lists_the_accepted_ones() -> None:
    with pytest.raises(UnknownOptionError, match="page_size"):
        tidings.connect("postgresql://127.0.0.1:1/db?shcema=x")


def test_a_path_that_is_not_a_database_name_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="database name"):
        tidings.connect("postgresql://127.0.0.1:1/db/extra")
