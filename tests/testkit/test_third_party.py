"""The testkit installs and runs alone: a fresh environment with exactly tidings-core,
tidings-testkit and a third-party adapter (no first-party adapter) finds the adapter and
runs the whole suite on both faces against it, with the plugin allowlist naming only it.

The adapter is tests/testkit/throwaway_adapter, copied out of the repository first: a
compare-and-set key-value adapter written against ``tidings.adapters`` alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from fresh_venv import ROOT, fresh_venv, uv

THROWAWAY = Path(__file__).parent / "throwaway_adapter"


def test_the_testkit_and_a_third_party_adapter_run_the_whole_suite_alone(
    tmp_path: Path,
) -> None:
    package = tmp_path / "throwaway_adapter"
    shutil.copytree(THROWAWAY, package)
    python = fresh_venv(
        tmp_path / "venv", ROOT / "packages" / "core", ROOT / "packages" / "testkit", package
    )
    installed = uv("pip", "list", "--python", python, "--format", "freeze").stdout
    assert sorted(line.split("==")[0] for line in installed.split() if "tidings" in line) == [
        "tidings-core",
        "tidings-testkit",
        "tidings-throwaway",
    ]
    found = subprocess.run(
        [
            python,
            "-c",
            "import tidings; print([(a.scheme, a.distribution) for a in tidings.list_adapters()])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "[('throwaway', 'tidings-throwaway')]"
    environment = {**os.environ, "TIDINGS_LOAD_PLUGINS": "throwaway"}
    environment.pop("PYTHONPATH", None)
    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "test_throwaway.py"],
        capture_output=True,
        text=True,
        cwd=package,
        env=environment,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout
    assert "failed" not in run.stdout
    assert "test_matches_the_reference_model" not in run.stdout  # not skipped: it ran
