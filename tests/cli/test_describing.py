"""``show`` and ``stats`` (issue 15, item 2), on SQLite and PostgreSQL, in-process and
through the installed script; both read without changing anything."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import tidings
from postgres_server import SchemaFactory

from .conftest import Invoke, fill, run_script


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store with 14 events in 4 streams of 2 categories, on each backend."""
    if request.param == "sqlite":
        chosen = f"sqlite:///{tmp_path / 'events.db'}"
    else:
        chosen = request.getfixturevalue("schemas").url()
    fill(chosen, streams=3, events=4)
    fill(chosen, streams=1, events=2, category="users")
    return chosen


def test_stats_counts_times_size_and_schema_version(invoke: Invoke, url: str) -> None:
    result = invoke("stats", "--url", url)
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)  # not a terminal: one JSON object
    with tidings.connect(url) as store:
        events = store.log().read()
    assert figures["events"] == 14
    assert figures["streams"] == 4
    assert figures["categories"] == 2
    assert figures["first_recorded_at"] == events[0].recorded_at.isoformat()
    assert figures["last_recorded_at"] == events[-1].recorded_at.isoformat()
    assert figures["schema_version"] == (2 if url.startswith("sqlite") else 3)
    assert isinstance(figures["size_bytes"], int)
    assert figures["size_bytes"] > 8192
    assert figures["url"] == url


def test_stats_as_a_table(invoke: Invoke, url: str) -> None:
    result = invoke("stats", "--url", url, "--table")
    assert result.exit_code == 0, result.stderr
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert lines["events"] == "14"
    assert lines["streams"] == "4"
    assert lines["categories"] == "2"
    assert "B" in lines["size_bytes"]


def test_stats_counts_by_reading_when_the_adapter_cannot_say(invoke: Invoke) -> None:
    result = invoke("stats", "--url", "memory://", "--json")
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["events"] == 0
    assert figures["size_bytes"] is None
    assert figures["schema_version"] is None


def test_stats_json_and_table_exclude_each_other(invoke: Invoke, url: str) -> None:
    result = invoke("stats", "--url", url, "--json", "--table")
    assert result.exit_code == 2
    assert "exclude each other" in result.stderr


def test_show_by_sequence_number_and_by_id(invoke: Invoke, url: str) -> None:
    with tidings.connect(url) as store:
        event = store.log().read()[4]
    by_number = invoke("show", str(event.sequence_number), "--url", url)
    assert by_number.exit_code == 0, by_number.stderr
    assert json.loads(by_number.stdout) == event.to_dict()
    by_id = invoke("show", event.id, "--url", url)
    assert by_id.exit_code == 0, by_id.stderr
    assert json.loads(by_id.stdout) == event.to_dict()


def test_show_an_unknown_event_exits_1(invoke: Invoke, url: str) -> None:
    for which, kind in (("999", "sequence number"), ("0", "sequence number"), ("nope", "id")):
        result = invoke("show", which, "--url", url)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: no event with {kind} {which} in ")
        assert result.stdout == ""


def test_show_and_stats_leave_a_missing_store_missing(
    invoke: Invoke, tmp_path: Path, schemas: SchemaFactory
) -> None:
    missing = f"sqlite:///{tmp_path / 'typo.db'}"
    for command in (["show", "1"], ["stats"]):
        result = invoke(*command, "--url", missing)
        assert result.exit_code == 1
        assert "does not exist" in result.stderr
        assert "tidings init --url" in result.stderr
    assert list(tmp_path.iterdir()) == []
    name = schemas.name()
    result = invoke("stats", "--url", schemas.url(name))
    assert result.exit_code == 1
    assert f"has no tidings schema {name!r}" in result.stderr


def test_show_and_stats_change_nothing(sqlite_url: str, tmp_path: Path) -> None:
    fill(sqlite_url)
    path = tmp_path / "events.db"
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    for command in (["show", "1"], ["stats"], ["stats", "--table"]):
        result = run_script([*command, "--url", sqlite_url])
        assert result.returncode == 0, result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_stats_through_the_installed_script(url: str) -> None:
    result = run_script(["stats", "--url", url])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["events"] == 14
