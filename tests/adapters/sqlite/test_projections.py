"""Projection storage in SQLite: the table, its migration, its plans, and hostile keys."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

import tidings
from tidings import ConfigurationError, EventStore, Filter, NewEvent, Projection, field
from tidings._model.identifiers import StreamIdentifier
from tidings._query.evaluate import cursor_for, evaluate_query
from tidings._query.model import Query, Sort
from tidings._query.sql import Fragment
from tidings_sqlite import SCHEMA_VERSION
from tidings_sqlite.projection_statements import ProjectionStatements
from tidings_sqlite.query_dialect import json_path
from tidings_sqlite.schema import MIGRATION_NAMES, schema_version

from .conftest import OpenStore, folder_state, raw_rows

MOMENT = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)

HOSTILE_KEYS = [
    'a"b',
    "x') OR 1=1 --",
    "x'); DROP TABLE events_projections; --",
    '"quoted"',
    'a\\"b',
    "a\\b",
    "tab\there",
    "[0]",
    "a[0]",
    "$",
    "*",
    "%",
    "_",
    "Åse",
    " ",
]


def _projection(id: str, state: Any, **fields: Any) -> Projection:
    fields.setdefault("name", "doc")
    return Projection(id=id, state=state, created_at=MOMENT, updated_at=MOMENT, **fields)


def _ids(store: EventStore, *where: Filter, sort: list[str] | None = None) -> list[str]:
    return [p.id for p in store.projections.search(name="doc", where=where, sort=sort or []).items]


def test_the_schema_version_counts_the_projections_migration(
    store: EventStore, db_path: Path
) -> None:
    with sqlite_utils.Database(db_path, execute_plugins=False) as db:
        assert schema_version(db, "events") == SCHEMA_VERSION == 2
    assert raw_rows(db_path, "SELECT name FROM _sqlite_migrations ORDER BY rowid") == [
        (name,) for name in MIGRATION_NAMES
    ]


def test_the_projections_table_is_keyed_by_name_and_id(store: EventStore, db_path: Path) -> None:
    store.projections.save(_projection("a", {}))
    connection = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match=r"events_projections\.name"):
        connection.execute("INSERT INTO events_projections SELECT * FROM events_projections")
    connection.close()


def test_a_store_at_the_previous_schema_version_is_migrated_and_keeps_its_events(
    open_store: OpenStore, db_path: Path
) -> None:
    first = open_store()
    published = first.stream(category="c", stream="s").publish(
        events=[NewEvent(name="e", payload={"i": i}) for i in range(5)]
    )
    first.close()
    # Make the file exactly what the previous release (schema version 1) left.
    connection = sqlite3.connect(db_path)
    with connection:
        connection.execute("DROP TABLE events_projections")
        connection.execute("DELETE FROM _sqlite_migrations WHERE name = ?", (MIGRATION_NAMES[1],))
    connection.close()
    with sqlite_utils.Database(db_path, execute_plugins=False) as db:
        assert schema_version(db, "events") == 1

    store = open_store()
    assert store.log().read() == published
    with sqlite_utils.Database(db_path, execute_plugins=False) as db:
        assert schema_version(db, "events") == SCHEMA_VERSION
    projection = _projection("s", {"n": 5}, source=StreamIdentifier("c", "s"), position=4)
    store.projections.save(projection)
    assert store.projections.load(name="doc", id="s") == projection


def test_a_foreign_projections_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with Database(path, execute_plugins=False) as db:
        db["events_projections"].insert({"id": 1, "what": "not ours"})
    before = folder_state(tmp_path)
    with pytest.raises(ConfigurationError, match="'events_projections' that tidings did not"):
        tidings.connect(f"sqlite:///{path}")
    assert folder_state(tmp_path) == before


def test_stores_sharing_a_file_keep_their_projections_apart(open_store: OpenStore) -> None:
    one, two = open_store(), open_store(table="other")
    one.projections.save(_projection("a", {"store": 1}))
    two.projections.save(_projection("a", {"store": 2}))
    assert [p.state for p in one.projections.search().items] == [{"store": 1}]
    assert [p.state for p in two.projections.search().items] == [{"store": 2}]


def test_timestamps_are_stored_as_utc_microseconds(store: EventStore, db_path: Path) -> None:
    local = datetime(2024, 5, 6, 9, 8, 9, 123457, tzinfo=timezone(timedelta(hours=2)))
    store.projections.save(Projection(name="doc", id="a", state={}, created_at=local))
    loaded = store.projections.load(name="doc", id="a")
    assert loaded is not None
    assert loaded.created_at == local
    assert loaded.created_at.tzinfo is UTC
    assert loaded.created_at.microsecond == 123457
    (stored,) = raw_rows(db_path, "SELECT created_at FROM events_projections")
    assert stored == (int(local.timestamp()) * 1_000_000 + 123457,)


@pytest.mark.parametrize(
    ("statement", "parameters", "index"),
    [
        ("load", ("doc", "a"), "sqlite_autoindex_events_projections_1 (name=? AND id=?)"),
        (
            "locate",
            ("doc", '["stream","c","s"]'),
            "events_projections_source (name=? AND source=?)",
        ),
    ],
)
def test_load_and_locate_search_an_index(
    store: EventStore, db_path: Path, statement: str, parameters: tuple[str, ...], index: str
) -> None:
    sql = getattr(ProjectionStatements.for_table("events"), statement)
    plan = " ".join(
        str(row[-1]) for row in raw_rows(db_path, f"EXPLAIN QUERY PLAN {sql}", parameters)
    )
    assert plan.startswith("SEARCH p USING "), plan
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_a_search_by_name_in_the_default_order_needs_no_sort(
    store: EventStore, db_path: Path
) -> None:
    fragment = ProjectionStatements.for_table("events").search(Query(name="doc"))
    plan = str(raw_rows(db_path, f"EXPLAIN QUERY PLAN {fragment.sql}", tuple(fragment.params)))
    assert "sqlite_autoindex_events_projections_1 (name=?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def _search_with_key(key: str) -> Fragment:
    query = Query(
        filters=(field(f"state.{key}") == "v", field(f"state.{key}.in").contains(key)),
        sort=(Sort.parse(f"-state.{key}"),),
    )
    return ProjectionStatements.for_table("events").search(query)


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_keys_are_bound_as_data_never_as_sql(key: str) -> None:
    fragment = _search_with_key(key)
    # The SQL text is that of a harmless key: only the parameters differ.
    assert fragment.sql == _search_with_key('plain"' if '"' in key else "plain").sql
    assert key in fragment.params or json_path((key,)) in fragment.params


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_keys_match_exactly_their_own_key(
    store: EventStore, db_path: Path, key: str
) -> None:
    store.projections.save(_projection("hit", {key: 1, "nested": {key: {key: ["x", 2]}}}))
    store.projections.save(_projection("near", {key + "x": 1, "nested": {key: {"x": ["x"]}}}))
    store.projections.save(_projection("miss", {"other": 1, "nested": "flat"}))
    assert _ids(store, field(f"state.{key}") == 1) == ["hit"]
    assert _ids(store, field(f"state.{key}") != 1) == ["miss", "near"]
    assert _ids(store, field(f"state.{key}") >= 1) == ["hit"]
    assert _ids(store, field(f"state.nested.{key}.{key}").contains(2)) == ["hit"]
    assert _ids(store, field(f"state.nested.{key}.{key}").contains("y")) == []
    assert _ids(store, field(f"state.nested.{key}.x").contains("x")) == ["near"]
    assert _ids(store, sort=[f"-state.{key}"]) == ["hit", "miss", "near"]
    assert raw_rows(db_path, "SELECT count(*) FROM events_projections") == [(3,)]


def test_startswith_is_literal_and_case_sensitive(store: EventStore) -> None:
    for id, nick in [("a", "Ann"), ("b", "ann"), ("c", "A%n"), ("d", "A_n"), ("e", "Å*")]:
        store.projections.save(_projection(id, {"nick": nick}))
    assert _ids(store, field("state.nick").startswith("A")) == ["a", "c", "d"]
    assert _ids(store, field("state.nick").startswith("A%")) == ["c"]
    assert _ids(store, field("state.nick").startswith("A_")) == ["d"]
    assert _ids(store, field("state.nick").startswith("Å")) == ["e"]
    assert _ids(store, field("state.nick").startswith("")) == ["a", "b", "c", "d", "e"]


def test_integers_beyond_64_bits_compare_as_reals(store: EventStore) -> None:
    big = 2**70
    for id, n in [("a", big), ("b", big + 1), ("c", 5)]:
        store.projections.save(_projection(id, {"n": n}))
    assert _ids(store, field("state.n") == big) == ["a", "b"]  # documented: not exact
    assert _ids(store, field("state.n") < big * 2) == ["a", "b", "c"]
    first = store.projections.search(name="doc", sort=["-state.n"], limit=1)
    rest = store.projections.search(name="doc", sort=["-state.n"], after=first.cursor)
    assert [p.id for p in first.items + rest.items] == ["a", "b", "c"]
    loaded = store.projections.load(name="doc", id="b")
    assert loaded is not None
    assert loaded.state == {"n": big + 1}


def test_many_threads_save_and_search_at_once(store: EventStore) -> None:
    def work(thread: int) -> None:
        for n in range(25):
            store.projections.save(_projection(f"{thread}-{n}", {"n": n, "t": thread}))
            store.projections.count(name="doc", where=[field("state.t") == thread])

    with ThreadPoolExecutor(max_workers=4) as pool:
        for done in [pool.submit(work, thread) for thread in range(4)]:
            done.result()
    assert store.projections.count(name="doc") == 100
    assert store.projections.count(name="doc", where=[field("state.n") >= 20]) == 4 * 5


# A differential test: random states, filters, sorts and keyset pages give exactly what
# the reference evaluator (tidings._query.evaluate) gives.
FIELD_PATHS = ["name", "id", "position", "sequence_number"]
_KEYS = st.sampled_from(["a", 'q"', "x') OR 1=1 --", "Å"])
_SCALARS = st.sampled_from([None, True, False, 0, 1, 1.0, -1.5, "", "a", "A", "ab", "é", "%"])
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=6,
)
_FLAT = st.dictionaries(st.sampled_from(["a", 'q"']), _SCALARS | st.just([1, "a"]), max_size=2)
"""Few keys and values, so that filters match and sort keys tie often."""
_STATES = st.one_of(_FLAT, _FLAT, _FLAT, _VALUES, st.dictionaries(_KEYS, _VALUES, max_size=3))
_PATHS = st.sampled_from(["state.a", "state.a", 'state.q"', "state", "state.a.a", "state.Å"])
_OPERANDS = st.sampled_from([-1, 0, 0.5, 1, "", "a", "ab", "b"])
_FILTERS = st.one_of(
    st.builds(lambda p, v: field(p) == v, _PATHS | st.sampled_from(FIELD_PATHS), _SCALARS),
    st.builds(lambda p, v: field(p) != v, _PATHS, _SCALARS),
    st.builds(lambda p, v: field(p) < v, _PATHS, _OPERANDS),
    st.builds(lambda p, v: field(p) >= v, _PATHS, _OPERANDS),
    st.builds(lambda p, v: field(p).is_in(v), _PATHS, st.lists(_SCALARS, max_size=3)),
    st.builds(lambda p, v: field(p).contains(v), _PATHS, _SCALARS),
    st.builds(lambda p, v: field(p).startswith(v), _PATHS, st.sampled_from(["", "a", "A", "é"])),
)
_SORTS = st.lists(
    st.builds(lambda p, d: ("-" if d else "") + p, _PATHS | st.just("position"), st.booleans()),
    max_size=2,
)


@settings(max_examples=300, deadline=None, database=None)
@example(states=[{"a": True}] * 3 + [{"a": 1}], where=[], sort=["state.a"], limit=2)
@given(
    states=st.lists(_STATES, max_size=8),
    where=st.lists(_FILTERS, max_size=2),
    sort=_SORTS,
    limit=st.integers(min_value=1, max_value=3),
)
def test_searches_give_the_reference_results(
    states: list[Any], where: list[Filter], sort: list[str], limit: int
) -> None:
    with tidings.connect("sqlite://") as store:
        saved = [
            store.projections.save(_projection(f"p{i}", state, position=i if i % 2 else None))
            for i, state in enumerate(states)
        ]
        query = Query(filters=tuple(where), sort=tuple(Sort.parse(key) for key in sort))
        expected = evaluate_query(saved, query, _document)
        assert store.projections.search(where=where, sort=sort).items == expected
        assert store.projections.count(where=where) == len(expected)
        # Keyset paging, cut at every point of the order.
        walked: list[Projection] = []
        page = store.projections.search(where=where, sort=sort, limit=limit)
        while page.items and len(walked) <= len(expected):
            walked += page.items
            assert page.cursor == cursor_for(_document(walked[-1]), query.sort)
            page = store.projections.search(where=where, sort=sort, limit=limit, after=page.cursor)
        assert walked == expected


def _document(projection: Projection) -> Callable[[str], Any]:
    return lambda column: projection.state if column == "state" else getattr(projection, column)
