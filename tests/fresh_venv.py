"""Fresh virtual environments holding only the named packages, for the tests that prove
what a distribution needs (the testkit alone, typed events without Pydantic)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def uv(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run uv (installed beside this interpreter); raises when it fails."""
    return subprocess.run(
        [sys.executable, "-m", "uv", *map(str, args)], capture_output=True, text=True, check=True
    )


def fresh_venv(folder: Path, *packages: str | Path) -> Path:
    """A new venv in ``folder`` with exactly ``packages`` (and their dependencies)
    installed; its Python interpreter."""
    python = folder / "bin" / "python"
    uv("venv", "--quiet", "--python", sys.executable, folder)
    uv("pip", "install", "--quiet", "--python", python, *packages)
    return python
