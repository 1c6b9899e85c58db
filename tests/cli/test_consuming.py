"""``tidings consume`` as a real worker process, and ``tidings consumers``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

import tidings

from .conftest import SCRIPT, Invoke, fill

APP = """
from tidings import Projector

def count(state, event):
    return state.merge({"n": state.get("n", 0) + 1})

tally = Projector(handlers={"placed": count, "changed": count}, name="tally")
seen = []

def remember(event):
    seen.append(event.id)
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    return tmp_path


def _worker(app: Path, url: str, *args: str) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if k != "TIDINGS_URL"}
    return subprocess.Popen(
        [str(SCRIPT), "consume", "app:tally", "--url", url, "--category", "orders", *args],
        cwd=app,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _projected(url: str) -> int:
    with tidings.connect(url) as store:
        return sum(p.state["n"] for p in store.projections.search(name="tally").items)


@pytest.mark.processes
@pytest.mark.parametrize("group", [None, "tallies"])
def test_consume_runs_until_sigterm_and_exits_0_with_json_logs(
    app: Path, sqlite_url: str, group: str | None
) -> None:
    fill(sqlite_url)
    extra = ["--group", group, "--ttl", "1", "--partitions", "4"] if group else []
    worker = _worker(app, sqlite_url, "--poll-interval", "0.05", *extra)
    try:
        deadline = time.monotonic() + 60
        while _projected(sqlite_url) < 12:
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "the worker never caught up"
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        _, errors = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, errors
    logs = [json.loads(line) for line in errors.splitlines()]
    messages = [entry["message"] for entry in logs]
    assert "started" in messages
    assert "stopped" in messages
    assert any(entry.get("signal") == "SIGTERM" for entry in logs)


def test_consume_refuses_what_it_cannot_run(app: Path, invoke: Invoke, sqlite_url: str) -> None:
    os.chdir(app)
    for reference in ("app", "app:missing", "nomodule:thing", "app:APP_NAME"):
        result = invoke("consume", reference, "--url", sqlite_url)
        assert result.exit_code == 2, (reference, result.output)


def test_consume_exits_2_when_the_group_disagrees(app: Path, sqlite_url: str) -> None:
    fill(sqlite_url)
    with tidings.connect(sqlite_url) as store:
        store.projections.save(
            tidings.Projection(name="$groups", id="g", state={"partitions": 3}, source=None)
        )
    worker = _worker(app, sqlite_url, "--group", "g", "--partitions", "4")
    _, errors = worker.communicate(timeout=60)
    assert worker.returncode == 2, errors
    assert "3 partitions, not 4" in errors


def test_consumers_lists_and_resets(invoke: Invoke, sqlite_url: str) -> None:
    fill(sqlite_url)
    with tidings.connect(sqlite_url) as store:
        store.consumer(
            name="mailer", source=store.category(category="orders"), handler=lambda e: None
        ).run(until_caught_up=True)
    listed = invoke("consumers", "--url", sqlite_url, "--nl")
    assert listed.exit_code == 0, listed.output
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["name"], row["kind"], row["lag"], row["parked"]) == ("mailer", "consumer", 0, 0)
    reset = invoke("consumers", "--url", sqlite_url, "--reset", "mailer", "--to", "beginning")
    assert reset.exit_code == 0, reset.output
    (row,) = [
        json.loads(line)
        for line in invoke("consumers", "--url", sqlite_url, "--nl").stdout.splitlines()
    ]
    assert row["lag"] == 12
    assert invoke("consumers", "--url", sqlite_url, "--reset", "mailer").exit_code == 2
    missing = invoke("consumers", "--url", sqlite_url, "--reset", "nobody", "--to", "end")
    assert missing.exit_code == 1
    assert "no consumer or group" in missing.stderr
