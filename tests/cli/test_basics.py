"""The command group: adapters, demo, init, --version, --url and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import tidings._api.connection
from tidings_cli.stores import DEFAULT_URL, URL_ENV

from .conftest import Invoke, run_script


def test_the_default_url_is_the_one_connect_uses() -> None:
    assert DEFAULT_URL == tidings._api.connection.DEFAULT_URL
    assert URL_ENV == tidings._api.connection.URL_ENV


def test_version_names_both_distributions(invoke: Invoke) -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert "tidings-cli 0.1.0" in result.stdout
    assert "tidings-core 0.1.0" in result.stdout


def test_adapters_lists_schemes_with_distribution(invoke: Invoke) -> None:
    result = invoke("adapters", "--table")
    assert result.exit_code == 0
    header, *rows = result.stdout.splitlines()
    assert header.split()[:3] == ["SCHEME", "ALIASES", "DISTRIBUTION"]
    assert any(row.startswith("memory://") and "tidings-memory" in row for row in rows)
    listed = [json.loads(line) for line in invoke("adapters", "--nl").stdout.splitlines()]
    assert {"scheme": "sqlite://", "distribution": "tidings-sqlite"}.items() <= next(
        row for row in listed if row["scheme"] == "sqlite://"
    ).items()


def test_demo_prints_the_projected_profile(invoke: Invoke, sqlite_url: str) -> None:
    first = invoke("demo", "--url", sqlite_url)
    assert first.exit_code == 0
    assert '"name": "Joe Bloggs"' in first.stdout
    assert '"dob": "1992-07-10"' in first.stdout
    assert "now holds 2" in first.stdout
    assert "now holds 4" in invoke("demo", "--url", sqlite_url).stdout


def test_url_comes_from_tidings_url(invoke: Invoke, sqlite_url: str) -> None:
    assert invoke("demo", env={URL_ENV: sqlite_url}).exit_code == 0
    result = invoke("read", env={URL_ENV: sqlite_url})
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2
    # --url wins over the variable
    assert invoke("read", "--url", "memory://", env={URL_ENV: sqlite_url}).stdout == ""


def test_init_takes_url_like_every_command(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    result = invoke("init", "--url", f"sqlite:///{path}")
    assert result.exit_code == 0
    assert f"initialised sqlite:///{path}" in result.stdout
    assert path.exists()
    assert invoke("read", "--url", f"sqlite:///{path}").exit_code == 0


def test_a_usage_error_exits_2(invoke: Invoke) -> None:
    result = invoke("read", "--url", "memory://", "--stream", "s")
    assert result.exit_code == 2
    assert "--stream needs --category" in result.stderr
    assert invoke("read", "--limit", "many").exit_code == 2
    assert invoke("no-such-command").exit_code == 2


def test_a_runtime_error_exits_1_on_one_line_without_a_traceback(invoke: Invoke) -> None:
    result = invoke("demo", "--url", "nosuch://")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no adapter is installed for nosuch://")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback() -> None:
    result = run_script(["--debug", "demo", "--url", "nosuch://"])
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "UnknownAdapterError" in result.stderr


def test_the_installed_script_runs_the_demo(tmp_path: Path) -> None:
    result = run_script(["demo", "--url", "memory://"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "store: memory://" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_core_no_longer_ships_a_cli_or_imports_click() -> None:
    result = run_script([])  # no command: a usage error that lists the commands
    assert result.returncode == 2
    assert "Usage: tidings" in result.stderr
    assert "copy" in result.stderr
    import importlib.util
    import subprocess
    import sys

    assert importlib.util.find_spec("tidings.cli") is None
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, tidings; tidings.connect('memory://').close(); "
            "print('click' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.strip() == "False"


def test_the_cli_uses_only_public_apis() -> None:
    """The command line is an application of tidings: it imports ``tidings``,
    ``tidings.adapters`` and ``tidings.errors`` only, never a private module or an
    adapter package (a backend's read-only mode is reached through its capability)."""
    import ast

    import tidings_cli

    allowed = {"tidings", "tidings.adapters", "tidings.errors"}
    found: dict[str, set[str]] = {}
    for path in Path(tidings_cli.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                if name.startswith("tidings") and not name.startswith("tidings_cli"):
                    found.setdefault(name, set()).add(path.name)
    assert found, "the scan found no imports of tidings at all"
    assert {name: files for name, files in found.items() if name not in allowed} == {}
