"""Config strings, typed options and registration of ``sqlite://``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

import tidings
from tidings import ConfigurationError, NewEvent, UnknownOptionError
from tidings._plugins.registry import Registry
from tidings_sqlite import SQLiteAdapter, SQLiteOptions, Synchronous

from .conftest import OpenStore, raw_rows


def _publish_one(store: tidings.EventStore) -> None:
    store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])


def test_the_sqlite_scheme_is_registered_through_its_entry_point() -> None:
    assert Registry().resolve("sqlite") is SQLiteAdapter


def test_the_adapter_declares_persistence_multi_process_writers_and_projections() -> None:
    assert SQLiteAdapter.capabilities == {
        tidings.Capability.PERSISTENT,
        tidings.Capability.MULTI_PROCESS,
        tidings.Capability.PROJECTION_STORAGE,
        tidings.Capability.COMPARE_AND_SET,
        tidings.Capability.READ_ONLY,
    }


def test_a_relative_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with tidings.connect("sqlite:///relative.db") as store:
        _publish_one(store)
    assert raw_rows(tmp_path / "relative.db", "SELECT count(*) FROM events") == [(1,)]


def test_a_relative_path_stays_where_it_was_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    with tidings.connect("sqlite:///relative.db") as store:
        monkeypatch.chdir(tmp_path / "elsewhere")
        _publish_one(store)
    assert not (tmp_path / "elsewhere" / "relative.db").exists()
    assert raw_rows(tmp_path / "relative.db", "SELECT count(*) FROM events") == [(1,)]


def test_an_absolute_path_takes_four_slashes(tmp_path: Path) -> None:
    path = tmp_path / "absolute.db"
    assert str(path).startswith("/")
    with tidings.connect(f"sqlite:///{path}") as store:
        _publish_one(store)
    assert raw_rows(path, "SELECT count(*) FROM events") == [(1,)]


def test_the_default_url_opens_tidings_db_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TIDINGS_URL", raising=False)
    with tidings.connect() as store:
        assert isinstance(store.adapter, SQLiteAdapter)
        _publish_one(store)
    assert raw_rows(tmp_path / "tidings.db", "SELECT count(*) FROM events") == [(1,)]


def test_sqlite_without_a_path_is_an_in_memory_database_private_to_each_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with tidings.connect("sqlite://") as first, tidings.connect("sqlite://") as second:
        _publish_one(first)
        assert len(first.log().read()) == 1
        assert second.log().read() == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("sqlite://relative.db", "names a host"),
        ("sqlite://user@/x.db", "names a host"),
        ("sqlite+pysqlite:///x.db", "no drivers"),
        ("sqlite:///", "names no file"),
    ],
)
def test_a_malformed_sqlite_url_is_rejected_with_the_right_forms(url: str, hint: str) -> None:
    with pytest.raises(ConfigurationError, match=hint) as raised:
        tidings.connect(url)
    assert "sqlite:///relative.db" in str(raised.value) or "drivers" in hint


def test_query_options_are_converted_by_the_options_type(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/a.db?synchronous=NORMAL&busy_timeout=0.25&table=log_2&page_size=3"
    with tidings.connect(url) as store:
        assert isinstance(store.adapter, SQLiteAdapter)
        assert store.adapter.options == SQLiteOptions(
            synchronous=Synchronous.NORMAL, busy_timeout=0.25, table="log_2", page_size=3
        )


def test_the_largest_options_are_accepted(tmp_path: Path) -> None:
    """The bounds are inclusive: SQLite takes a busy timeout of 2**31 - 1 ms."""
    url = f"sqlite:///{tmp_path}/a.db?busy_timeout=2147483&page_size=1000000&pool_size=1000"
    with tidings.connect(url) as store:
        _publish_one(store)
        assert len(store.log().read()) == 1
        adapter = store.adapter
        assert isinstance(adapter, SQLiteAdapter)
        with adapter._pool.connection() as db:
            assert db.execute("PRAGMA busy_timeout").fetchone() == (2_147_483_000,)


def test_keyword_options_override_query_options(tmp_path: Path) -> None:
    with tidings.connect(f"sqlite:///{tmp_path}/a.db?page_size=3", page_size=7) as store:
        assert isinstance(store.adapter, SQLiteAdapter)
        assert store.adapter.options.page_size == 7


def test_an_unknown_option_lists_the_accepted_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownOptionError, match=r"busy_timeout.*synchronous"):
        tidings.connect(f"sqlite:///{tmp_path}/a.db?journal=delete")


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"synchronous": "off"}, "synchronous"),
        ({"busy_timeout": -1}, "busy_timeout"),
        ({"busy_timeout": float("inf")}, "busy_timeout"),
        ({"table": 'events"; DROP TABLE x; --'}, "table"),
        ({"table": "1events"}, "table"),
        ({"table": "sqlite_master"}, "table"),
        ({"table": ""}, "table"),
        ({"page_size": 0}, "page_size"),
        ({"pool_size": 0}, "pool_size"),
        ({"busy_timeout": float("nan")}, "busy_timeout"),
        ({"busy_timeout": "nan"}, "busy_timeout"),
        ({"busy_timeout": "1e300"}, "busy_timeout"),
        ({"busy_timeout": 10**400}, "busy_timeout"),
        ({"busy_timeout": 3_000_000}, "busy_timeout"),
        ({"page_size": 2**64}, "page_size"),
        ({"page_size": "9" * 30}, "page_size"),
        ({"page_size": 1_000_001}, "page_size"),
        ({"pool_size": 10**6}, "pool_size"),
        ({"mode": "sometimes"}, "mode"),
    ],
)
def test_an_invalid_option_is_rejected_before_any_file_is_created(
    tmp_path: Path, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigurationError, match=field):
        tidings.connect(f"sqlite:///{tmp_path}/a.db", **options)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("synchronous", "expected"), [("full", 2), ("normal", 1)])
def test_synchronous_sets_the_pragma_on_every_connection(
    open_store: OpenStore, synchronous: str, expected: int
) -> None:
    store = open_store(synchronous=synchronous)
    adapter = store.adapter
    assert isinstance(adapter, SQLiteAdapter)
    with adapter._pool.connection() as db:
        assert db.execute("PRAGMA synchronous").fetchone() == (expected,)


def test_synchronous_defaults_to_full() -> None:
    assert SQLiteOptions().synchronous is Synchronous.FULL


def test_the_busy_timeout_is_given_to_sqlite_in_milliseconds(open_store: OpenStore) -> None:
    store = open_store(busy_timeout=1.5)
    adapter = store.adapter
    assert isinstance(adapter, SQLiteAdapter)
    with adapter._pool.connection() as db:
        assert db.execute("PRAGMA busy_timeout").fetchone() == (1500,)


def test_stores_with_different_tables_share_one_file(open_store: OpenStore, db_path: Path) -> None:
    first = open_store(table="first")
    second = open_store(table="second")
    _publish_one(first)
    assert second.log().read() == []
    with Database(db_path, execute_plugins=False) as db:
        assert {"first", "second"} <= set(db.table_names())


def test_a_refused_config_string_is_not_quoted_as_it_may_hold_a_password() -> None:
    """A password with an unencoded "/" would end the host early: the config string is
    refused (by the URL parser, or by the adapter) without the password in the message."""
    with pytest.raises(ConfigurationError, match=r"names a host|percent-encoded") as raised:
        tidings.connect("sqlite://user:/Secret123@host/db")
    assert "Secret123" not in str(raised.value)
