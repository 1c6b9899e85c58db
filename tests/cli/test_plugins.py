"""The plugin variables seen from the command line (issue 15, item 5): a disabled
adapter is reported as installed but disabled, naming the variable; a misspelt name in
either variable is a one-line error (exit status 1), where the library only warns."""

from __future__ import annotations

import os
from pathlib import Path

from .conftest import run_script


def test_a_disabled_adapter_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    for command in (["demo"], ["read"], ["init"]):
        result = run_script([*command, "--url", url], env={"TIDINGS_DISABLE_PLUGINS": "sqlite"})
        assert result.returncode == 1
        assert result.stderr.startswith(
            "Error: the adapter for sqlite:// (from tidings-sqlite) is installed but was not "
            "loaded: TIDINGS_DISABLE_PLUGINS='sqlite' disables it."
        ), result.stderr
        assert "pip install" not in result.stderr
    assert list(tmp_path.iterdir()) == []
    other = run_script(["demo", "--url", "memory://"], env={"TIDINGS_DISABLE_PLUGINS": "sqlite"})
    assert other.returncode == 0, other.stderr


def test_an_adapter_left_out_of_the_load_list_says_so() -> None:
    result = run_script(["read", "--url", "sqlite:///x.db"], env={"TIDINGS_LOAD_PLUGINS": "memory"})
    assert result.returncode == 1
    assert "is installed but was not loaded: it is not in TIDINGS_LOAD_PLUGINS='memory'" in (
        result.stderr
    )


def test_a_misspelt_plugin_name_is_a_one_line_error() -> None:
    for variable in ("TIDINGS_DISABLE_PLUGINS", "TIDINGS_LOAD_PLUGINS"):
        result = run_script(["demo", "--url", "memory://"], env={variable: "sqlit,memory"})
        assert result.returncode == 1, result.stderr
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"Error: {variable} names 'sqlit', but no installed plugin")
        assert "did you mean 'sqlite'?" in lines[0]
        assert "Installed plugins: " in lines[0]


def test_the_library_only_warns_about_a_misspelt_plugin_name() -> None:
    import subprocess
    import sys

    code = "import tidings; tidings.connect('memory://').close(); print('opened')"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TIDINGS_DISABLE_PLUGINS": "sqlit"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "opened\n"
    assert "PluginNameWarning" in result.stderr
