"""``tidings demo`` with no URL runs on ./tidings.db, and the events persist: the README's
first command, run through the installed ``tidings`` script as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_the_demo_defaults_to_sqlite_and_its_events_persist(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "TIDINGS_URL"}

    def demo() -> str:
        return subprocess.run(
            [str(Path(sys.executable).with_name("tidings")), "demo"],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    first, second = demo(), demo()
    assert "store: sqlite:///tidings.db" in first
    assert "now holds 2" in first
    assert "now holds 4" in second
    assert '"dob": "1992-07-10"' in second
    assert (tmp_path / "tidings.db").exists()
