"""Fixtures for the SQLite adapter's own tests: real files in a temporary folder."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tidings
from tidings import EventStore

__all__ = [
    "WORKERS",
    "db_path",
    "folder_state",
    "open_store",
    "raw_rows",
    "run_unprivileged",
    "run_worker",
    "store",
]

WORKERS = Path(__file__).with_name("workers.py")

OpenStore = Callable[..., EventStore]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A path for a new database file."""
    return tmp_path / "events.db"


@pytest.fixture
def open_store(db_path: Path) -> Iterator[OpenStore]:
    """Open stores on ``db_path`` (or another path) with options; all closed at teardown."""
    opened: list[EventStore] = []

    def open_(path: Path | None = None, **options: Any) -> EventStore:
        store = tidings.connect(f"sqlite:///{path or db_path}", **options)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: OpenStore) -> EventStore:
    """A store on a new file."""
    return open_store()


def raw_rows(path: Path, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Rows read with plain ``sqlite3``, independently of the adapter."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, parameters).fetchall()
    finally:
        connection.close()


def folder_state(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` with a hash of its bytes, to prove nothing changed."""
    return {
        entry.name: hashlib.sha256(entry.read_bytes()).hexdigest()
        for entry in sorted(folder.iterdir())
        if entry.is_file()
    }


def run_worker(*args: object, timeout: float = 240) -> subprocess.CompletedProcess[bytes]:
    """Run a role of workers.py in a new process and wait for it; fail on a non-zero exit."""
    done = subprocess.run(
        [sys.executable, str(WORKERS), *map(str, args)],
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done


def run_unprivileged(code: str) -> subprocess.CompletedProcess[str]:
    """Run Python ``code`` in a process that file permissions apply to, even under root.

    Root ignores permission bits, so as root the child drops the capabilities that let
    it (with ``setpriv``); the test skips where that is impossible.
    """
    command = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot make a file read-only")
        dropped = "-dac_override,-dac_read_search"
        command = [setpriv, f"--inh-caps={dropped}", f"--bounding-set={dropped}", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
