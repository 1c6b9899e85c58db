"""Fixtures for the command line: click's runner in-process, the installed ``tidings``
script in a subprocess, and stores to point them at."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import tidings
from postgres_server import SchemaFactory, postgres_url, schemas
from tidings import NewEvent
from tidings_cli.main import cli

__all__ = [
    "SCRIPT",
    "Invoke",
    "fill",
    "invoke",
    "postgres_url",
    "run_script",
    "schemas",
    "sqlite_url",
]

SCRIPT = Path(sys.executable).with_name("tidings")
"""The console script that ``uv sync`` installed from tidings-cli's entry point."""

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run ``tidings ARGS`` in-process; stdout and stderr apart, TIDINGS_URL unset."""
    monkeypatch.delenv("TIDINGS_URL", raising=False)
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=False)

    return run


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A config string for a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'events.db'}"


def fill(url: str, streams: int = 3, events: int = 4, category: str = "orders") -> None:
    """Publish ``events`` events to each of ``streams`` streams, interleaved in the log."""
    with tidings.connect(url) as store:
        scope = store.category(category=category)
        for index in range(events):
            scope.publish(
                streams={
                    f"s{stream}": [
                        NewEvent(
                            name="placed" if index == 0 else "changed",
                            payload={"n": index, "stream": stream, "nested": {"b": 1, "a": [1.5]}},
                            metadata={"by": "tests"},
                        )
                    ]
                    for stream in range(streams)
                }
            )


def run_script(
    args: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, **kw: Any
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``tidings`` script, as a user would."""
    environment = {k: v for k, v in os.environ.items() if k != "TIDINGS_URL"}
    environment.update(env or {})
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kw,
    )


@pytest.fixture
def pg_url(schemas: SchemaFactory) -> str:
    """A config string for a fresh PostgreSQL schema that does not exist yet."""
    return schemas.url()
