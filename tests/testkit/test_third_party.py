"""A third-party adapter, installed into a fresh environment, is found and proven."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THROWAWAY = Path(__file__).parent / "throwaway_adapter"


def _uv(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "uv", *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
    )


def test_an_installed_third_party_adapter_is_found_and_passes_the_suite(
    tmp_path: Path,
) -> None:
    package = tmp_path / "throwaway_adapter"
    shutil.copytree(THROWAWAY, package)
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    _uv("venv", "--quiet", "--python", sys.executable, venv)
    _uv(
        "pip",
        "install",
        "--quiet",
        "--python",
        python,
        ROOT / "packages" / "core",
        ROOT / "packages" / "adapter-memory",
        ROOT / "packages" / "testkit",
        package,
    )
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
    assert "('throwaway', 'tidings-throwaway')" in found.stdout
    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_throwaway.py"],
        capture_output=True,
        text=True,
        cwd=package,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout
    assert "failed" not in run.stdout
