"""A description of the machine and software, stored with every result file."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["describe_machine"]

_DISTRIBUTIONS = (
    "tidings-core",
    "tidings-memory",
    "tidings-sqlite",
    "tidings-postgres",
    "eventsourcing",
    "psycopg",
    "psycopg-binary",
    "psycopg-pool",
)


def describe_machine(postgres_url: str) -> dict[str, Any]:
    """CPU, cores, memory, load, Python, SQLite and the versions of the packages measured."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_before": [round(value, 2) for value in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgres": _postgres_version(postgres_url),
        "packages": {name: _version(name) for name in _DISTRIBUTIONS},
        "commit": _commit(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _commit() -> str | None:
    """The checked-out commit, with ``+dirty`` when the work tree has changes."""
    root = Path(__file__).resolve().parent.parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if status else head


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _postgres_version(postgres_url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(postgres_url, connect_timeout=3) as connection:
            row = connection.execute("SHOW server_version").fetchone()
            return None if row is None else str(row[0])
    except Exception:  # noqa: BLE001 - the description is best effort
        return None
