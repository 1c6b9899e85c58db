"""Plugins load lazily: with every adapter installed, opening ``memory://`` imports no
database driver, and ``import tidings`` imports none either."""

from __future__ import annotations

import json
import subprocess
import sys

DRIVERS = ("psycopg", "psycopg_pool", "sqlite_utils", "sqlite3")


def _modules_after(code: str) -> list[str]:
    probe = (
        f"import sys\n{code}\n"
        "import json\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {DRIVERS!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def test_every_adapter_is_installed_here() -> None:
    import tidings

    schemes = {info.scheme for info in tidings.list_adapters()}
    assert {"memory", "sqlite", "postgresql"} <= schemes


def test_opening_memory_loads_no_database_driver() -> None:
    code = "import tidings\ntidings.connect('memory://').close()"
    assert _modules_after(code) == []


def test_opening_sqlite_loads_its_driver_and_only_its_driver() -> None:
    code = "import tidings\ntidings.connect('sqlite://').close()"
    loaded = _modules_after(code)
    assert "sqlite_utils" in loaded
    assert not [name for name in loaded if name.startswith("psycopg")]
