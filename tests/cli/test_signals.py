"""Pipes and Ctrl-C, with a real closed pipe and a real SIGINT: the command ends with
128 + the signal's number, as Unix tools do, and never with a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import tidings
from tidings import NewEvent

from .conftest import SCRIPT, fill


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "TIDINGS_URL"}


def test_a_closed_pipe_ends_quietly_with_141(sqlite_url: str) -> None:
    fill(sqlite_url, streams=50, events=100)  # 5,000 lines: more than a pipe buffer holds
    for command in (["export"], ["read"], ["read", "--csv"]):
        with subprocess.Popen(
            [str(SCRIPT), *command, "--url", sqlite_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_environment(),
        ) as writer:
            assert writer.stdout is not None
            assert writer.stderr is not None
            first = writer.stdout.readline()  # like `| head -1`: read one line, then close
            writer.stdout.close()
            status = writer.wait(timeout=60)
            errors = writer.stderr.read().decode()
        assert first.startswith(b"{" if command[-1] != "--csv" else b"id,")
        assert status == 141, errors
        assert "Traceback" not in errors
        assert "BrokenPipeError" not in errors
        assert "Exception ignored" not in errors


def test_a_shell_pipe_into_head_prints_no_traceback(sqlite_url: str, tmp_path: Path) -> None:
    fill(sqlite_url, streams=50, events=100)
    result = subprocess.run(
        ["bash", "-c", f"'{SCRIPT}' read --url '{sqlite_url}' | head -3"],
        capture_output=True,
        text=True,
        env=_environment(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 3
    assert result.stderr == ""


def test_ctrl_c_stops_tail_with_130_and_prints_the_checkpoint(sqlite_url: str) -> None:
    fill(sqlite_url, streams=1, events=1)
    with subprocess.Popen(
        [
            str(SCRIPT),
            "tail",
            "--url",
            sqlite_url,
            "--start",
            "beginning",
            "--poll-interval",
            "0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
    ) as follower:
        assert follower.stdout is not None
        assert follower.stderr is not None
        try:
            assert '"n":0' in follower.stdout.readline()  # it runs, and has caught up
            with tidings.connect(sqlite_url) as store:
                stream = store.stream(category="orders", stream="s0")
                stream.publish(events=[NewEvent(name="late")])
            assert '"name":"late"' in follower.stdout.readline()  # it follows live
            time.sleep(0.3)  # waiting for the next change now
            follower.send_signal(signal.SIGINT)
            status = follower.wait(timeout=30)
        finally:
            follower.kill()
        errors = follower.stderr.read()
    assert status == 130, errors
    assert "Traceback" not in errors
    assert "KeyboardInterrupt" not in errors
    assert "checkpoint: 2 (resume with --start 2)" in errors
