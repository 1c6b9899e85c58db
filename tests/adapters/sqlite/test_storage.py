"""What the adapter stores and how: schema, constraints, indexes, transactions, rows."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlite_utils
import sqlite_utils.plugins

import tidings
from tidings import EventStore, NewEvent
from tidings._model.identifiers import (
    CategoryIdentifier,
    Identifier,
    LogIdentifier,
    StreamIdentifier,
)
from tidings._protocol.adapter import ScanRequest
from tidings_sqlite import SCHEMA_VERSION, SQLiteAdapter
from tidings_sqlite.schema import schema_version
from tidings_sqlite.statements import Statements

from .conftest import OpenStore, raw_rows


class _Recorder:
    """A sqlite-utils plugin that traces every statement run on the connections it sees."""

    def __init__(self) -> None:
        self.connections: list[sqlite3.Connection] = []
        self.statements: list[str] = []

    @sqlite_utils.hookimpl
    def prepare_connection(self, conn: sqlite3.Connection) -> None:
        self.connections.append(conn)
        conn.set_trace_callback(self.statements.append)


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    plugin = _Recorder()
    sqlite_utils.plugins.pm.register(plugin)
    yield plugin
    sqlite_utils.plugins.pm.unregister(plugin)


def _events(count: int, name: str = "e") -> list[NewEvent]:
    return [NewEvent(name=name, payload={"i": i}) for i in range(count)]


def test_the_database_uses_write_ahead_logging(store: EventStore, db_path: Path) -> None:
    assert raw_rows(db_path, "PRAGMA journal_mode") == [("wal",)]


def test_the_schema_version_is_recorded_in_the_database(store: EventStore, db_path: Path) -> None:
    with sqlite_utils.Database(db_path, execute_plugins=False) as db:
        assert schema_version(db, "events") == SCHEMA_VERSION == 2


def test_opening_an_existing_store_again_keeps_its_events(
    open_store: OpenStore, db_path: Path
) -> None:
    published = open_store().stream(category="c", stream="s").publish(events=_events(3))
    assert open_store().log().read() == published
    assert raw_rows(db_path, "SELECT count(*) FROM _sqlite_migrations") == [(SCHEMA_VERSION,)]


def test_the_event_id_is_unique_in_the_table(store: EventStore, db_path: Path) -> None:
    stored = store.stream(category="c", stream="s").publish(events=_events(1))[0]
    connection = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match=r"events\.id"):
        connection.execute(
            "INSERT INTO events SELECT sequence_number + 1, id, category, 'other', position, "
            "name, payload, metadata, occurred_at, observed_at, recorded_at FROM events"
        )
    connection.close()
    assert stored.id


def test_category_stream_and_position_are_unique_in_the_table(
    store: EventStore, db_path: Path
) -> None:
    store.stream(category="c", stream="s").publish(events=_events(1))
    connection = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match=r"events\.position"):
        connection.execute(
            "INSERT INTO events SELECT sequence_number + 1, id || 'x', category, stream, "
            "position, name, payload, metadata, occurred_at, observed_at, recorded_at FROM events"
        )
    connection.close()


@pytest.mark.parametrize(
    ("kind", "parameters", "index"),
    [
        ("log", [0], "INTEGER PRIMARY KEY"),
        ("category", ["c", 0], "INDEX events_category_sequence"),
        ("stream", ["c", "s", -1, 0], "INDEX events_stream_position"),
    ],
)
@pytest.mark.parametrize("names", [None, ["a", "b"]])
def test_every_scan_shape_searches_an_index(
    store: EventStore,
    db_path: Path,
    kind: str,
    parameters: list[object],
    index: str,
    names: list[str] | None,
) -> None:
    sql = Statements.for_table("events").scan(kind, None if names is None else len(names))  # type: ignore[arg-type]
    plan = raw_rows(db_path, f"EXPLAIN QUERY PLAN {sql}", (*parameters, *(names or []), 10))
    details = " ".join(str(row[-1]) for row in plan)
    assert details.startswith("SEARCH"), details
    assert index in details, details
    assert "TEMP B-TREE" not in details, details


def test_the_latest_event_of_a_stream_is_found_through_an_index(
    store: EventStore, db_path: Path
) -> None:
    sql = Statements.for_table("events").last_event
    plan = raw_rows(db_path, f"EXPLAIN QUERY PLAN {sql}", ("c", "s"))
    assert "SEARCH events USING INDEX events_stream_position" in str(plan)


def test_the_next_position_and_sequence_number_come_from_indexes(
    store: EventStore, db_path: Path
) -> None:
    sql = Statements.for_table("events").last_position_and_sequence
    plan = str(raw_rows(db_path, f"EXPLAIN QUERY PLAN {sql}", ("c", "s")))
    assert "SEARCH events USING COVERING INDEX events_stream_position" in plan, plan
    assert "SCAN events" not in plan, plan  # max(sequence_number): the last rowid


def test_generated_ids_are_time_ordered_uuids_so_the_id_index_grows_at_one_end(
    store: EventStore,
) -> None:
    first = store.stream(category="c", stream="s").publish(events=_events(3))
    time.sleep(0.002)
    second = store.stream(category="c", stream="t").publish(
        events=[NewEvent(name="e", id="given"), *_events(2)]
    )
    generated = [event.id for event in [*first, *second[1:]]]
    assert all(uuid.UUID(i).version == 7 and str(uuid.UUID(i)) == i for i in generated)
    assert len(set(generated)) == 5
    assert max(event.id for event in first) < min(event.id for event in second[1:])
    assert second[0].id == "given"


def test_one_publish_is_one_transaction_with_one_commit(
    recorder: _Recorder, open_store: OpenStore
) -> None:
    store = open_store(sqlite_utils_plugins=True)
    recorder.statements.clear()
    category = store.category(category="c")
    category.publish(streams={"s1": _events(50), "s2": _events(50)})
    statements = [s.split()[0].upper() for s in recorder.statements]
    assert statements.count("BEGIN") == 1
    assert recorder.statements[0] == "BEGIN IMMEDIATE"
    assert statements.count("COMMIT") == 1
    assert statements.count("INSERT") == 100
    assert statements[-1] == "COMMIT"


def test_sqlite_utils_plugins_do_not_run_on_store_connections_by_default(
    recorder: _Recorder, open_store: OpenStore
) -> None:
    open_store().stream(category="c", stream="s").publish(events=_events(1))
    assert recorder.connections == []


def test_sqlite_utils_plugins_run_on_every_store_connection_when_enabled(
    recorder: _Recorder, open_store: OpenStore
) -> None:
    open_store(sqlite_utils_plugins=True).stream(category="c", stream="s").publish(
        events=_events(1)
    )
    assert recorder.connections


def test_timestamps_round_trip_exactly_as_utc(store: EventStore) -> None:
    moments = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 2, 29, 12, 30, 45, 123456, tzinfo=timezone(timedelta(hours=-5))),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    events = [NewEvent(name="t", occurred_at=m, observed_at=m) for m in moments]
    published = store.stream(category="c", stream="s").publish(events=events)
    read = store.stream(category="c", stream="s").read()
    assert read == published
    assert [e.occurred_at for e in read] == moments
    assert all(e.occurred_at.tzinfo is UTC and e.recorded_at.tzinfo is UTC for e in read)


def test_payloads_round_trip_exactly(store: EventStore) -> None:
    payload = {
        "text": "naïve ☃ \U0001f600 'quotes' \"double\"",
        "numbers": [0, -1, 2**63, 1.5, -0.0, 1e-300, 0.1],
        "nested": {"empty": {}, "list": [], "none": None, "bools": [True, False]},
    }
    published = store.stream(category="c", stream="s").publish(
        events=[NewEvent(name="p", payload=payload, metadata={"k": ("a", "b")})]
    )
    read = store.stream(category="c", stream="s").read()
    assert read == published
    assert read[0].payload == payload
    assert read[0].metadata == {"k": ["a", "b"]}


def test_all_events_of_one_publish_share_the_recorded_at_of_their_transaction(
    store: EventStore,
) -> None:
    before = datetime.now(UTC)
    published = store.stream(category="c", stream="s").publish(events=_events(3))
    assert len({e.recorded_at for e in published}) == 1
    assert published[0].recorded_at >= before


@pytest.mark.parametrize(
    "target",
    [LogIdentifier(), CategoryIdentifier("c"), StreamIdentifier("c", "s")],
    ids=["log", "category", "stream"],
)
def test_scans_read_page_by_page_and_hold_no_transaction_between_pages(
    open_store: OpenStore, db_path: Path, target: Identifier
) -> None:
    store = open_store(page_size=2)
    store.stream(category="c", stream="s").publish(events=_events(5))
    adapter = store.adapter
    assert isinstance(adapter, SQLiteAdapter)
    scan = adapter.scan(ScanRequest(target))
    first = next(scan)
    # Between pages no transaction is open: another writer can commit, and the scan
    # goes on to see it.
    store.stream(category="c", stream="s").publish(events=_events(1, name="later"))
    rest = list(scan)
    assert [e.sequence_number for e in [first, *rest]] == [1, 2, 3, 4, 5, 6]


def test_an_abandoned_scan_holds_no_connection(open_store: OpenStore) -> None:
    store = open_store(page_size=1)
    store.stream(category="c", stream="s").publish(events=_events(3))
    scan = iter(store.log())
    next(scan)
    del scan
    assert store.stream(category="c", stream="s").publish(events=_events(1))[0].position == 3


def test_an_abandoned_scan_of_an_in_memory_store_does_not_block_writers() -> None:
    with tidings.connect("sqlite://", page_size=1) as store:
        store.stream(category="c", stream="s").publish(events=_events(3))
        scan = iter(store.log())
        next(scan)
        assert store.stream(category="c", stream="s").publish(events=_events(1))[0].position == 3
        assert [e.position for e in scan] == [1, 2, 3]


def test_names_limit_and_after_are_applied_across_pages(open_store: OpenStore) -> None:
    store = open_store(page_size=2)
    stream = store.stream(category="c", stream="s")
    stream.publish(events=[NewEvent(name="a" if i % 3 else "b") for i in range(12)])
    read = stream.read(after=2, names=["a"], limit=4)
    assert [(e.name, e.sequence_number) for e in read] == [("a", 3), ("a", 5), ("a", 6), ("a", 8)]
