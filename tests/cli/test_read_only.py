"""Commands that read never create or change a store (issue 15, item 2): a missing SQLite
file stays missing, a foreign database stays byte-identical, and a PostgreSQL schema is
never created. Only init, import, copy and demo may create."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import psycopg
import pytest

from postgres_server import SchemaFactory

from .conftest import Invoke, fill

READERS = [
    ["read"],
    ["read", "--category", "orders", "--table"],
    ["streams"],
    ["categories"],
    ["export"],
    ["tail", "--start", "beginning", "--until-caught-up"],
    ["show", "1"],
    ["stats"],
]


def _names(commands: list[list[str]]) -> list[str]:
    return [" ".join(command) for command in commands]


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("command", READERS, ids=_names(READERS))
def test_a_missing_sqlite_file_stays_missing(
    invoke: Invoke, tmp_path: Path, command: list[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'typo.db'}"
    result = invoke(*command, "--url", url)
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    assert f"tidings init --url {url}" in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", READERS, ids=_names(READERS))
def test_a_foreign_sqlite_file_stays_byte_identical(
    invoke: Invoke, tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "foreign.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
        db.execute("INSERT INTO notes VALUES ('keep me')")
    db.close()
    before = _digest(tmp_path)
    result = invoke(*command, "--url", f"sqlite:///{path}")
    assert result.exit_code == 1
    assert "schema" in result.stderr
    assert _digest(tmp_path) == before  # no new table, no journal mode change, no -wal file
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master")]
    db.close()
    assert tables == ["notes"]


def test_reading_a_tidings_file_changes_nothing(invoke: Invoke, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    fill(url)
    before = hashlib.sha256((tmp_path / "events.db").read_bytes()).hexdigest()
    for command in READERS:
        assert invoke(*command, "--url", url).exit_code == 0
    assert hashlib.sha256((tmp_path / "events.db").read_bytes()).hexdigest() == before


def test_an_in_memory_sqlite_store_has_nothing_to_read(invoke: Invoke) -> None:
    result = invoke("read", "--url", "sqlite://")
    assert result.exit_code == 1
    assert "nothing to read" in result.stderr


def test_writers_create_the_file(invoke: Invoke, tmp_path: Path) -> None:
    for number, command in enumerate((["init"], ["demo"], ["import"])):
        path = tmp_path / f"new{number}.db"
        result = invoke(*command, "--url", f"sqlite:///{path}", input="")
        assert result.exit_code == 0, result.stderr
        assert path.exists()


def _schema_exists(schemas: SchemaFactory, name: str) -> bool:
    with schemas.connect() as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", [name]
        ).fetchone()
    return row == (1,)


@pytest.mark.parametrize("command", READERS, ids=_names(READERS))
def test_a_missing_postgres_schema_is_not_created(
    invoke: Invoke, schemas: SchemaFactory, command: list[str]
) -> None:
    name = schemas.name()
    url = schemas.url(name)
    result = invoke(*command, "--url", url)
    assert result.exit_code == 1
    assert f"has no tidings schema {name!r}" in result.stderr
    assert "tidings init --url" in result.stderr
    assert not _schema_exists(schemas, name)


def test_a_postgres_schema_at_an_older_version_is_not_upgraded(
    invoke: Invoke, schemas: SchemaFactory
) -> None:
    name = schemas.name()
    url = schemas.url(name)
    assert invoke("init", "--url", url).exit_code == 0
    with schemas.connect() as conn:
        conn.execute(
            psycopg.sql.SQL("UPDATE {}.schema_version SET version = 1").format(
                psycopg.sql.Identifier(name)
            )
        )
    result = invoke("read", "--url", url)
    assert result.exit_code == 1
    assert "older than" in result.stderr
    with schemas.connect() as conn:
        versions = conn.execute(
            psycopg.sql.SQL("SELECT version FROM {}.schema_version").format(
                psycopg.sql.Identifier(name)
            )
        ).fetchall()
    assert versions == [(1,)]


def test_an_initialised_postgres_schema_is_read(invoke: Invoke, schemas: SchemaFactory) -> None:
    url = schemas.url()
    assert invoke("init", "--url", url).exit_code == 0
    fill(url, streams=2, events=2)
    result = invoke("read", "--url", url)
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 4
