"""Every distribution builds a wheel that carries its entry points and ``py.typed``."""

from __future__ import annotations

from pathlib import Path

from check_wheels import PACKAGES, build, problems


def test_every_wheel_builds_with_entry_points_and_py_typed(tmp_path: Path) -> None:
    wheels = build(tmp_path)
    assert len(wheels) == len(PACKAGES) + 1  # and the batteries-included one
    assert problems(wheels) == []
