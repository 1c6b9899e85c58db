"""Every command through the installed ``tidings`` script, in a subprocess, on SQLite
and on PostgreSQL (issue 15, "Tests"): a session as a user would type it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import fill, run_script


@pytest.fixture(params=["sqlite", "postgresql"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str, str]:
    """Three stores on one backend that do not exist yet: the main one, an import's
    destination and a copy's destination."""
    if request.param == "sqlite":
        main, imported, copied = (f"sqlite:///{tmp_path / name}.db" for name in "mic")
        return main, imported, copied
    schemas = request.getfixturevalue("schemas")
    return (schemas.url(), schemas.url(), schemas.url())


def _ok(args: list[str]) -> str:
    result = run_script(args)
    assert result.returncode == 0, (args, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def test_a_session_of_every_command(urls: tuple[str, str, str], tmp_path: Path) -> None:
    main, imported, copied = urls
    assert _ok(["--version"]).startswith("tidings, tidings-cli ")
    assert "sqlite://" in _ok(["adapters"])
    assert _ok(["init", "--url", main]).startswith("initialised ")
    assert "published 2 events" in _ok(["demo", "--url", main])
    fill(main, streams=2, events=3)  # 8 events in all, in 2 categories

    rows = [json.loads(line) for line in _ok(["read", "--url", main]).splitlines()]
    assert len(rows) == 8
    assert json.loads(_ok(["show", "3", "--url", main])) == rows[2]
    assert json.loads(_ok(["show", rows[4]["id"], "--url", main])) == rows[4]
    stats = json.loads(_ok(["stats", "--url", main]))
    assert (stats["events"], stats["streams"], stats["categories"]) == (8, 3, 2)
    streams = [json.loads(line) for line in _ok(["streams", "--url", main]).splitlines()]
    assert [(s["category"], s["stream"], s["events"]) for s in streams] == [
        ("orders", "s0", 3),
        ("orders", "s1", 3),
        ("profiles", "joe.bloggs", 2),
    ]
    categories = _ok(["categories", "--url", main, "--csv"]).splitlines()
    assert categories[0].startswith("category,streams,events")
    tailed = _ok(["tail", "--url", main, "--start", "beginning", "--until-caught-up"])
    assert [json.loads(line)["id"] for line in tailed.splitlines()] == [r["id"] for r in rows]

    exported = tmp_path / "events.jsonl"
    run = run_script(["export", "--url", main, "-o", str(exported)])
    assert run.returncode == 0, run.stderr
    assert f"exported 8 events from {main}" in run.stderr
    assert [json.loads(line) for line in exported.read_text().splitlines()] == rows
    imported_run = run_script(["import", str(exported), "--url", imported])
    assert imported_run.returncode == 0, imported_run.stderr
    assert f"imported 8 events into {imported}" in imported_run.stderr
    again = run_script(["import", str(exported), "--url", imported])
    assert "imported 0 events" in again.stderr
    assert "skipped 8 already stored" in again.stderr

    copy_run = run_script(["copy", "--from", main, "--to", copied])
    assert copy_run.returncode == 0, copy_run.stderr
    assert "verified: 3 streams, 8 events" in copy_run.stderr
    kept = [json.loads(line) for line in _ok(["read", "--url", copied]).splitlines()]

    def by_stream(found: list[dict[str, object]]) -> list[tuple[object, ...]]:
        # publishing keeps each stream's order and the log order between batches only
        fields = ("category", "stream", "position", "id", "payload", "occurred_at")
        return sorted(tuple(str(r[f]) for f in fields) for r in found)

    assert by_stream(kept) == by_stream(rows)
