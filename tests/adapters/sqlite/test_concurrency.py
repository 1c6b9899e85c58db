"""Locks, threads, failures and closing: errors are clear and leave nothing half-written."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
import sqlite_utils.plugins

from tidings import (
    ConfigurationError,
    EventStore,
    NewEvent,
    StorageError,
    StoreBusyError,
    StoreClosedError,
    position_is,
)
from tidings._model.identifiers import StreamIdentifier
from tidings._protocol.publishing import StreamBatch
from tidings_sqlite import SQLiteAdapter
from tidings_sqlite.options import SQLiteOptions

from .conftest import OpenStore, raw_rows


@pytest.fixture
def write_lock(store: EventStore, db_path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding the database's write lock for the test's duration."""
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield other
    other.execute("ROLLBACK")
    other.close()


def test_a_publish_blocked_past_busy_timeout_raises_store_busy(
    open_store: OpenStore, db_path: Path
) -> None:
    store = open_store(busy_timeout=0.05)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusyError, match=r"busy_timeout=0\.05s.*nothing was written") as e:
            store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")] * 3)
        assert isinstance(e.value.__cause__, sqlite3.OperationalError)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert raw_rows(db_path, "SELECT count(*) FROM events") == [(0,)]


def test_a_publish_waiting_past_busy_timeout_for_a_writer_of_the_same_store_raises_store_busy(
    db_path: Path,
) -> None:
    adapter = SQLiteAdapter(db_path, options=SQLiteOptions(busy_timeout=0.05))
    batch = StreamBatch(
        stream=StreamIdentifier(category="c", stream="s"), events=(NewEvent(name="e"),)
    )
    try:
        adapter._writer.acquire()  # another thread's publish, still running
        try:
            with pytest.raises(StoreBusyError, match=r"busy_timeout=0\.05s.*nothing was written"):
                adapter.publish([batch])
        finally:
            adapter._writer.release()
        assert adapter.publish([batch])[0][0].position == 0
    finally:
        adapter.close()
    assert raw_rows(db_path, "SELECT count(*) FROM events") == [(1,)]


def test_a_store_is_usable_again_once_the_lock_is_released(
    open_store: OpenStore, db_path: Path
) -> None:
    store = open_store(busy_timeout=0.05)
    stream = store.stream(category="c", stream="s")
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreBusyError):
        stream.publish(events=[NewEvent(name="e")], condition=position_is(None))
    other.execute("ROLLBACK")
    other.close()
    assert stream.publish(events=[NewEvent(name="e")], condition=position_is(None))[0].position == 0


def test_readers_are_not_blocked_by_a_writer(
    store: EventStore, write_lock: sqlite3.Connection
) -> None:
    write_lock.execute("INSERT INTO _sqlite_migrations (migration_set, name) VALUES ('x', 'y')")
    assert store.log().read() == []
    assert store.log().latest() is None


def test_many_threads_share_one_store(store: EventStore) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def write(thread: int) -> None:
        try:
            barrier.wait()
            stream = store.stream(category="c", stream=f"s{thread % 2}")
            for n in range(20):
                stream.publish(events=[NewEvent(name="e", payload={"t": thread, "n": n})] * 2)
                stream.latest()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for name in ("s0", "s1"):
        positions = [e.position for e in store.stream(category="c", stream=name).read()]
        assert positions == list(range(160))


def test_a_closed_adapter_refuses_to_work(store: EventStore) -> None:
    adapter = store.adapter
    assert isinstance(adapter, SQLiteAdapter)
    store.close()
    store.close()
    with pytest.raises(StoreClosedError):
        adapter.latest(store.log().identifier)


class _QueryOnly:
    """A sqlite-utils plugin that makes every connection it sees refuse writes."""

    @sqlite_utils.hookimpl
    def prepare_connection(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA query_only = 1")


def test_a_database_sqlite_cannot_write_raises_a_configuration_error(
    open_store: OpenStore, db_path: Path
) -> None:
    open_store().close()
    plugin = _QueryOnly()
    sqlite_utils.plugins.pm.register(plugin)
    try:
        store = open_store(sqlite_utils_plugins=True)
        with pytest.raises(ConfigurationError, match="SQLite cannot write it") as raised:
            store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
    finally:
        sqlite_utils.plugins.pm.unregister(plugin)
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    assert raw_rows(db_path, "SELECT count(*) FROM events") == [(0,)]


def test_any_other_sqlite_failure_raises_a_storage_error_with_the_cause(
    store: EventStore, db_path: Path
) -> None:
    other = sqlite3.connect(db_path)
    other.execute("ALTER TABLE events RENAME TO moved_away")
    other.close()
    with pytest.raises(StorageError, match="SQLite failed to publish to") as raised:
        store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    with pytest.raises(StorageError, match="SQLite failed to read from"):
        store.log().read()
