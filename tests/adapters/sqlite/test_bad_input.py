"""Files the adapter must refuse: each gives a clear error and changes nothing."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

import tidings
from tidings import ConfigurationError, NewEvent

from .conftest import folder_state, run_unprivileged


def test_a_path_in_a_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(ConfigurationError, match=r"folder .*missing.* does not exist"):
        tidings.connect(f"sqlite:///{missing}/events.db")
    assert not missing.exists()


def test_a_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.db").mkdir()
    with pytest.raises(ConfigurationError, match="is a folder"):
        tidings.connect(f"sqlite:///{tmp_path}/folder.db")
    assert folder_state(tmp_path) == {}


def test_a_file_that_is_not_a_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    before = folder_state(tmp_path)
    with pytest.raises(ConfigurationError, match="is not a SQLite database") as raised:
        tidings.connect(f"sqlite:///{path}")
    assert isinstance(raised.value.__cause__, sqlite3.DatabaseError)
    assert folder_state(tmp_path) == before


def test_a_foreign_events_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with Database(path, execute_plugins=False) as db:
        db["events"].insert({"id": 1, "what": "a calendar event"})
    before = folder_state(tmp_path)
    with pytest.raises(ConfigurationError, match=r"table 'events' that tidings did not create"):
        tidings.connect(f"sqlite:///{path}")
    assert folder_state(tmp_path) == before


def test_a_foreign_events_table_can_be_avoided_with_the_table_option(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with Database(path, execute_plugins=False) as db:
        db["events"].insert({"id": 1, "what": "a calendar event"})
    with tidings.connect(f"sqlite:///{path}?table=tidings_events") as store:
        store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
    with Database(path, execute_plugins=False) as db:
        assert db["events"].count == 1
        assert db["tidings_events"].count == 1


def test_a_schema_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    tidings.connect(f"sqlite:///{path}").close()
    with Database(path, execute_plugins=False) as db:
        db["_sqlite_migrations"].insert(
            {"migration_set": "tidings.events", "name": "from_the_future", "applied_at": "later"}
        )
    before = folder_state(tmp_path)
    with pytest.raises(ConfigurationError, match="newer tidings-sqlite"):
        tidings.connect(f"sqlite:///{path}")
    assert folder_state(tmp_path) == before


def test_a_read_only_file_is_refused_in_mode_rw(tmp_path: Path) -> None:
    """By default such a file opens read-only (tests/adapters/sqlite/test_read_only.py);
    ``mode=rw`` asks to write, so it refuses at connect and changes nothing."""
    path = tmp_path / "events.db"
    with tidings.connect(f"sqlite:///{path}") as store:
        store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
    path.chmod(0o444)
    before = folder_state(tmp_path)
    done = run_unprivileged(
        "import tidings\n"
        "try:\n"
        f"    tidings.connect({f'sqlite:///{path}?mode=rw'!r})\n"
        "except tidings.ConfigurationError as error:\n"
        "    print(error)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "the file is read-only" in done.stdout
    assert folder_state(tmp_path) == before


def test_a_folder_without_write_permission_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        done = run_unprivileged(
            "import tidings\n"
            "try:\n"
            f"    tidings.connect({f'sqlite:///{folder}/events.db'!r})\n"
            "except tidings.ConfigurationError as error:\n"
            "    print(error)\n"
        )
    finally:
        folder.chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert "is not writable" in done.stdout
    assert os.listdir(folder) == []
