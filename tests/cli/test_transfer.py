"""``export``, ``import`` and ``copy``: the JSON lines format, idempotent re-runs, and a
copy from SQLite to PostgreSQL and back that resumes and catches a tampered copy."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

import tidings
from postgres_server import SchemaFactory
from tidings import NewEvent, StoredEvent

from .conftest import SCRIPT, Invoke, fill, run_script

KEPT = ("id", "name", "category", "stream", "position", "payload", "metadata")


def _events(url: str) -> list[StoredEvent]:
    with tidings.connect(url) as store:
        return store.log().read()


def _kept(event: StoredEvent) -> tuple[Any, ...]:
    """What a copy or an import keeps of an event: all but sequence_number and recorded_at."""
    return (*(getattr(event, name) for name in KEPT), event.occurred_at, event.observed_at)


def _per_stream(events: list[StoredEvent]) -> dict[tuple[str, str], list[tuple[Any, ...]]]:
    streams: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for event in events:
        streams.setdefault((event.category, event.stream), []).append(_kept(event))
    return streams


@pytest.fixture
def source(tmp_path: Path) -> str:
    """A SQLite store with 3 categories of interleaved streams and explicit times."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    fill(url, streams=4, events=5)
    fill(url, streams=2, events=3, category="users")
    with tidings.connect(url) as store:
        store.stream(category="misc", stream="dated").publish(
            events=[
                NewEvent(
                    name="happened",
                    payload={"ünïcode": "✓", "big": 2**62, "float": 0.1},
                    occurred_at=datetime(2001, 2, 3, 4, 5, 6, 789, tzinfo=UTC),
                    observed_at=datetime(2002, 2, 3, 4, 5, 6, tzinfo=UTC),
                )
            ]
        )
    return url


def test_export_writes_the_documented_shape(invoke: Invoke, source: str, tmp_path: Path) -> None:
    result = invoke("export", "--url", source, "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 0, result.stderr
    assert f"exported 27 events from {source} to {tmp_path / 'out.jsonl'}" in result.stderr
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 27
    assert list(rows[-1]) == [
        "id",
        "name",
        "category",
        "stream",
        "position",
        "sequence_number",
        "payload",
        "metadata",
        "occurred_at",
        "observed_at",
        "recorded_at",
    ]
    assert rows[-1]["occurred_at"] == "2001-02-03T04:05:06.000789+00:00"
    assert rows[-1]["payload"] == {"ünïcode": "✓", "big": 2**62, "float": 0.1}
    assert "ünïcode" in lines[-1]  # readable, not \\u-escaped
    # to stdout, with a scope filter
    users = invoke("export", "--url", source, "--category", "users", "--name", "placed")
    assert [json.loads(line)["stream"] for line in users.stdout.splitlines()] == ["s0", "s1"]
    assert "exported 2 events" in users.stderr
    assert users.stderr.rstrip().endswith("to stdout")


def test_export_then_import_keeps_events_and_a_rerun_skips_them(
    invoke: Invoke, source: str, tmp_path: Path
) -> None:
    file = tmp_path / "events.jsonl"
    assert invoke("export", "--url", source, "-o", str(file)).exit_code == 0
    target = f"sqlite:///{tmp_path / 'target.db'}"
    first = invoke("import", str(file), "--url", target, "--batch-size", "7")
    assert first.exit_code == 0, first.stderr
    assert "imported 27 events" in first.stderr
    assert _per_stream(_events(target)) == _per_stream(_events(source))
    again = invoke("import", str(file), "--url", target)
    assert again.exit_code == 0, again.stderr
    assert "imported 0 events" in again.stderr
    assert "skipped 27 already stored" in again.stderr
    assert len(_events(target)) == 27


def test_import_reads_stdin_and_minimal_lines(invoke: Invoke, sqlite_url: str) -> None:
    lines = [
        {"name": "a", "category": "c", "stream": "s", "payload": {"x": 1}},
        {"name": "b", "category": "c", "stream": "s", "id": "fixed-id"},
        {"name": "c", "category": "d", "stream": "t", "occurred_at": "2020-01-01T00:00:00Z"},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n\n"
    result = invoke("import", "--url", sqlite_url, input=text)
    assert result.exit_code == 0, result.stderr
    events = _events(sqlite_url)
    assert [(e.category, e.stream, e.position, e.name) for e in events] == [
        ("c", "s", 0, "a"),
        ("c", "s", 1, "b"),
        ("d", "t", 0, "c"),
    ]
    assert events[1].id == "fixed-id"
    assert events[2].occurred_at == datetime(2020, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 2: not JSON"),
        ("[1, 2]", "line 2: expected a JSON object"),
        ('{"name": "x", "category": "c"}', "line 2: missing stream"),
        ('{"name": "x", "category": "c", "stream": "s", "occurred_at": "soon"}', "line 2: occ"),
        ('{"name": "x", "category": "c", "stream": "s", "occurred_at": "2020-01-01"}', "line 2"),
        ('{"name": "", "category": "c", "stream": "s"}', "line 2: "),
        ('{"name": "x", "category": "c", "stream": "s", "colour": 1}', "unknown keys 'colour'"),
        ('{"name": "x", "category": "c", "stream": "s", "payload": {"a": NaN}}', "line 2: "),
    ],
)
def test_import_names_the_bad_line(
    invoke: Invoke, sqlite_url: str, line: str, message: str
) -> None:
    good = json.dumps({"name": "ok", "category": "c", "stream": "s"})
    result = invoke("import", "--url", sqlite_url, input=f"{good}\n{line}\n")
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_import_stops_on_an_id_stored_in_another_stream(invoke: Invoke, sqlite_url: str) -> None:
    first = json.dumps({"name": "a", "category": "c", "stream": "s", "id": "one"})
    clash = json.dumps({"name": "a", "category": "c", "stream": "other", "id": "one"})
    assert invoke("import", "--url", sqlite_url, input=first).exit_code == 0
    result = invoke("import", "--url", sqlite_url, input=clash)
    assert result.exit_code == 1
    assert "event id 'one'" in result.stderr
    assert "already stored in the destination" in result.stderr


def test_copy_sqlite_to_postgres_and_back(
    invoke: Invoke, source: str, schemas: SchemaFactory, tmp_path: Path
) -> None:
    postgres = schemas.url()
    result = invoke("copy", "--from", source, "--to", postgres, "--batch-size", "5")
    assert result.exit_code == 0, result.stderr
    assert "copied 27 events" in result.stderr
    assert "by bulk load" in result.stderr  # PostgreSQL's COPY, in chunks of 5
    assert "verified: 7 streams, 27 events" in result.stderr
    assert "the log order matches too" in result.stderr
    # a bulk load keeps everything but sequence numbers, in the exact log order
    full = [(*_kept(e), e.recorded_at) for e in _events(source)]
    assert [(*_kept(e), e.recorded_at) for e in _events(postgres)] == full
    back = f"sqlite:///{tmp_path / 'back.db'}"
    result = invoke("copy", "--url", postgres, "--to", back)
    assert result.exit_code == 0, result.stderr
    assert "by publishing" in result.stderr
    assert "recorded_at cannot be preserved by publishing" in result.stderr
    assert _per_stream(_events(back)) == _per_stream(_events(source))
    # the log order survives between batches: with one batch per event, exactly
    exact = f"sqlite:///{tmp_path / 'exact.db'}"
    assert invoke("copy", "--from", source, "--to", exact, "--batch-size", "1").exit_code == 0
    assert [_kept(e) for e in _events(exact)] == [_kept(e) for e in _events(source)]


def test_an_interrupted_copy_resumes(invoke: Invoke, source: str, schemas: SchemaFactory) -> None:
    postgres = schemas.url()
    events = _events(source)
    # What an interrupted copy leaves: some streams whole, one in part, the rest missing.
    with tidings.connect(postgres) as store:
        for event in events[:10]:
            store.stream(category=event.category, stream=event.stream).publish(
                events=[
                    NewEvent(
                        id=event.id,
                        name=event.name,
                        payload=event.payload,
                        metadata=event.metadata,
                        occurred_at=event.occurred_at,
                        observed_at=event.observed_at,
                    )
                ]
            )
    result = invoke("copy", "--from", source, "--to", postgres)
    assert result.exit_code == 0, result.stderr
    assert "copied 17 events" in result.stderr
    assert "skipped 10 already there" in result.stderr
    assert _per_stream(_events(postgres)) == _per_stream(events)


def test_an_interrupted_bulk_copy_resumes_after_its_last_chunk(
    invoke: Invoke, source: str, schemas: SchemaFactory
) -> None:
    postgres = schemas.url()
    events = _events(source)
    with tidings.connect(postgres) as store:  # what a copy stopped after one chunk leaves
        store.adapter.bulk_load(events[:10])
    result = invoke("copy", "--from", source, "--to", postgres)
    assert result.exit_code == 0, result.stderr
    assert "copied 17 events" in result.stderr
    assert "by bulk load; skipped 10 already there" in result.stderr
    full = [(*_kept(e), e.recorded_at) for e in events]
    assert [(*_kept(e), e.recorded_at) for e in _events(postgres)] == full


def test_a_copy_killed_by_sigint_resumes(tmp_path: Path, schemas: SchemaFactory) -> None:
    """A real interruption: Ctrl-C in the middle of a copy, then the same command again."""
    source = f"sqlite:///{tmp_path / 'big.db'}"
    fill(source, streams=200, events=150)  # 30,000 events
    postgres = schemas.url()
    command = [str(SCRIPT), "copy", "--from", source, "--to", postgres, "--batch-size", "300"]
    environment = {k: v for k, v in os.environ.items() if k != "TIDINGS_URL"}
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=environment) as run:
        deadline = time.monotonic() + 60
        copied = 0
        while copied == 0 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.02)
            copied = _count(schemas, postgres)
        run.send_signal(signal.SIGINT)
        assert run.stderr is not None
        errors = run.stderr.read()
        status = run.wait(timeout=60)
    assert status == 130, errors
    assert "Interrupted." in errors
    assert "Traceback" not in errors
    partial = _count(schemas, postgres)
    assert 0 < partial < 30_000
    assert partial % 300 == 0
    result = run_script(["copy", "--from", source, "--to", postgres])
    assert result.returncode == 0, result.stderr
    assert f"copied {30_000 - partial} events" in result.stderr
    assert f"skipped {partial} already there" in result.stderr
    assert "verified: 200 streams, 30000 events" in result.stderr


def _count(schemas: SchemaFactory, url: str) -> int:
    schema = url.rsplit("schema=", 1)[1]
    with schemas.connect() as conn:
        exists = conn.execute("SELECT to_regclass(%s)", [f'"{schema}".events']).fetchone()
        if exists is None or exists[0] is None:
            return 0
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM {}.events").format(sql.Identifier(schema))
        ).fetchone()
    return int(row[0]) if row else 0


def test_verification_catches_a_tampered_destination(
    invoke: Invoke, source: str, schemas: SchemaFactory
) -> None:
    postgres = schemas.url()
    assert invoke("copy", "--from", source, "--to", postgres).exit_code == 0
    schema = postgres.rsplit("schema=", 1)[1]
    with schemas.connect() as conn:
        conn.execute("SET session_replication_role = replica")  # past the immutability trigger
        conn.execute(
            sql.SQL(
                "UPDATE {}.events SET payload = '{{\"n\": 99}}' "
                "WHERE category = 'users' AND stream = 's1' AND position = 2"
            ).format(sql.Identifier(schema))
        )
    result = invoke("copy", "--from", source, "--to", postgres)
    assert result.exit_code == 1
    assert "verification failed: 1 of 7 streams differ" in result.stderr
    assert "users/s1: the events differ" in result.stderr


def test_a_rerun_repairs_what_is_missing_and_verification_catches_extra_events(
    invoke: Invoke, source: str, tmp_path: Path
) -> None:
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    assert invoke("copy", "--from", source, "--to", copy).exit_code == 0
    with sqlite3.connect(tmp_path / "copy.db") as db:
        db.execute(
            "DELETE FROM events WHERE category = 'misc' OR (category = 'users' AND position = 2)"
        )
    db.close()
    result = invoke("copy", "--from", source, "--to", copy)  # what was lost at the ends
    assert result.exit_code == 0, result.stderr
    assert "copied 3 events" in result.stderr
    with tidings.connect(copy) as store:
        store.stream(category="users", stream="s0").publish(events=[NewEvent(name="extra")])
    result = invoke("copy", "--from", source, "--to", copy)
    assert result.exit_code == 1
    assert "users/s0: 3 events in the source, 4 copied" in result.stderr


def test_copy_refuses_a_hole_in_a_destination_stream(
    invoke: Invoke, source: str, tmp_path: Path
) -> None:
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    assert invoke("copy", "--from", source, "--to", copy).exit_code == 0
    with sqlite3.connect(tmp_path / "copy.db") as db:
        db.execute("DELETE FROM events WHERE category = 'users' AND position = 1")
    db.close()
    result = invoke("copy", "--from", source, "--to", copy)
    assert result.exit_code == 1
    assert "are not the first events of the source's stream" in result.stderr


def test_copy_refuses_a_destination_stream_with_other_events(
    invoke: Invoke, source: str, sqlite_url: str
) -> None:
    with tidings.connect(sqlite_url) as store:
        store.stream(category="users", stream="s0").publish(events=[NewEvent(name="theirs")])
    result = invoke("copy", "--from", source, "--to", sqlite_url)
    assert result.exit_code == 1
    assert "stream users/s0 holds 1 events that are not the first events" in result.stderr
    assert [e.name for e in _events(sqlite_url) if e.category == "users"] == ["theirs"]


def test_copy_into_itself_is_a_usage_error(invoke: Invoke, source: str) -> None:
    result = invoke("copy", "--from", source, "--to", source)
    assert result.exit_code == 2
    assert "the same store" in result.stderr


def test_copy_runs_through_the_installed_script(source: str, tmp_path: Path) -> None:
    result = run_script(["copy", "--from", source, "--to", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.returncode == 0, result.stderr
    assert "verified: 7 streams, 27 events" in result.stderr


def test_verification_compares_payloads_as_values_not_as_text() -> None:
    """A destination may store an equal payload as other JSON text (jsonb reorders keys):
    the fast digest sees a difference, and the canonical recheck clears it; a real
    difference stays."""
    from tidings_cli.loading import Digests, recheck

    moment = datetime(2020, 1, 1, tzinfo=UTC)

    def store_with(payload: dict[str, Any]) -> tidings.EventStore:
        store = tidings.connect("memory://")
        store.stream(category="c", stream="s").publish(
            events=[
                NewEvent(id="e1", name="n", payload=payload, occurred_at=moment, observed_at=moment)
            ]
        )
        return store

    source, reordered, changed = (
        store_with({"a": 1, "b": 2}),
        store_with({"b": 2, "a": 1}),
        store_with({"a": 1, "b": 3}),
    )
    with source, reordered, changed:
        expected = Digests()
        expected.add_all(source.log().iterate())
        for other, left in ((reordered, set()), (changed, {("c", "s")})):
            found = Digests()
            found.add_all(other.log().iterate())
            problems = expected.differences(found)
            assert set(problems) == {("c", "s")}  # the texts differ either way
            assert set(recheck(problems, source, other)) == left
