"""Hostile names are data: a schema or category name never becomes SQL, and a ``%`` in
a schema name is never read as a placeholder. Impossible options fail before any I/O."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from psycopg import sql

import tidings
from postgres_server import SchemaFactory
from tidings import (
    ConfigurationError,
    NewEvent,
    Projection,
    ProjectionStore,
    StoredEvent,
    StreamIdentifier,
    UnknownOptionError,
    WriteCondition,
    field,
)
from tidings_postgres import PostgresOptions
from tidings_postgres.options import MAX_PAGE_SIZE, MAX_POOL_SIZE, MAX_SECONDS

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


PERCENT_NAMES = ["%s", "%(x)s", "%%", "100%", "%b %t {s}"]
"""Schema names that psycopg would read as placeholders if they reached a statement's text
unescaped. Each test makes them unique with a suffix, so that runs never share one."""


def _percent_schema(schemas: SchemaFactory, name: str) -> str:
    unique = f"{name}_{uuid.uuid4().hex[:8]}"
    schemas.names.append(unique)
    return unique


def _events_in(schemas: SchemaFactory, schema: str) -> int:
    with schemas.connect() as conn:
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM {}.events").format(sql.Identifier(schema))
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("name", PERCENT_NAMES)
def test_a_schema_name_with_percent_signs_works_end_to_end(
    schemas: SchemaFactory, name: str
) -> None:
    schema = _percent_schema(schemas, name)
    with tidings.connect(schemas.server_url, schema=schema) as store:
        stream = store.stream(category="c", stream="s")
        stored = stream.publish(events=[NewEvent(name="e"), NewEvent(name="f")])
        stored += stream.publish(events=[NewEvent(name="e")], condition=_Always())
        assert store.log().read() == stored
        assert store.category(category="c").read(names=["f"]) == stored[1:2]
        assert list(stream.iterate(after=stored[0].sequence_number)) == stored[1:]
        assert stream.latest() == store.log().latest() == stored[-1]
        _projections_round_trip(store.projections)
    with tidings.connect(schemas.server_url, schema=schema) as reopened:  # migrated: found
        assert reopened.log().read() == stored
    assert _events_in(schemas, schema) == 3


@pytest.mark.parametrize("name", PERCENT_NAMES)
def test_a_schema_name_with_percent_signs_works_on_the_async_face(
    schemas: SchemaFactory, name: str
) -> None:
    schema = _percent_schema(schemas, name)

    async def main() -> None:
        async with await tidings.connect_async(schemas.server_url, schema=schema) as store:
            stream = store.stream(category="c", stream="s")
            stored = await stream.publish(events=[NewEvent(name="e"), NewEvent(name="f")])
            stored += await stream.publish(events=[NewEvent(name="e")], condition=_Always())
            assert await store.log().read() == stored
            assert await store.category(category="c").read(names=["f"]) == stored[1:2]
            assert [e async for e in stream.iterate(after=stored[0].sequence_number)] == stored[1:]
            assert await stream.latest() == stored[-1]
            projections = store.projections
            await projections.save(Projection(name="p", id="1", state={"n": 1}))
            assert (await projections.load(name="p", id="1")) is not None
            found = await projections.search(name="p", where=[field("state.n") == 1])
            assert [p.id for p in found.items] == ["1"]
            assert await projections.count(name="p") == 1

    asyncio.run(main())
    assert _events_in(schemas, schema) == 3


class _Always(WriteCondition):
    """A custom condition, so the publish takes the general path (a transaction)."""

    def holds_for(self, last_event: StoredEvent | None) -> bool:
        return True

    def describe(self) -> str:
        return "always"


def _projections_round_trip(projections: ProjectionStore) -> None:
    saved = Projection(name="p", id="1", state={"n": 1}, source=StreamIdentifier("c", "s"))
    projections.save(saved)
    loaded = projections.load(name="p", id="1")
    assert loaded is not None
    assert loaded.state == {"n": 1}
    located = projections.locate(name="p", source=StreamIdentifier("c", "s"))
    assert located is not None
    assert located.id == "1"
    found = projections.search(name="p", where=[field("state.n") == 1])
    assert [p.id for p in found.items] == ["1"]
    assert projections.count(name="p") == 1
    assert projections.count() == 1


_HUGE = [float("nan"), float("inf"), float("-inf"), 1e300, MAX_SECONDS * 1.001]
_DURATIONS = [
    "statement_timeout",
    "lock_timeout",
    "connect_timeout",
    "operation_timeout",
    "tcp_user_timeout",
]


@pytest.mark.parametrize("value", _HUGE, ids=repr)
@pytest.mark.parametrize("option", _DURATIONS)
def test_a_nan_infinite_or_huge_duration_names_the_option(option: str, value: float) -> None:
    with pytest.raises(ConfigurationError, match=option):
        PostgresOptions(**{option: value})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=option):
        tidings.connect("postgresql://u:pw@127.0.0.1:1/db", **{option: value})


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("page_size", 10**30),
        ("page_size", MAX_PAGE_SIZE + 1),
        ("pool_max_size", 10**30),
        ("pool_max_size", MAX_POOL_SIZE + 1),
        ("pool_min_size", 10**30),
        ("keepalives_idle", 0),
        ("keepalives_idle", 32_768),
        ("keepalives_interval", 10**30),
        ("keepalives_count", 128),
        ("page_size", True),
        ("statement_timeout", [1]),
        ("keepalives", 1),
        ("application_name", "a\x00b"),
        ("target_session_attrs", "read-write\x00"),
        ("options", 7),
    ],
)
def test_an_out_of_range_or_mistyped_option_names_itself_before_any_io(
    option: str, value: object
) -> None:
    with pytest.raises(ConfigurationError, match=option):
        PostgresOptions(**{option: value})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=option):
        tidings.connect("postgresql://u:pw@127.0.0.1:1/db", **{option: value})


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1e300"])
def test_a_nan_or_huge_duration_in_the_query_string_names_the_option(text: str) -> None:
    with pytest.raises(ConfigurationError, match="statement_timeout"):
        tidings.connect(f"postgresql://u:pw@127.0.0.1:1/db?statement_timeout={text}")


def test_the_largest_allowed_values_are_accepted_by_libpq_and_the_server(
    schemas: SchemaFactory,
) -> None:
    """The bounds are the real limits, not guesses: at each one, a store still opens."""
    limits = {
        "statement_timeout": MAX_SECONDS,
        "lock_timeout": MAX_SECONDS,
        "tcp_user_timeout": MAX_SECONDS,
        "operation_timeout": MAX_SECONDS,
        "keepalives_idle": 32_767,
        "keepalives_interval": 32_767,
        "keepalives_count": 127,
        "page_size": MAX_PAGE_SIZE,
    }
    with tidings.connect(schemas.url(), **limits) as store:
        stored = store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
        assert store.log().read() == stored
