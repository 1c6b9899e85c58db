"""Backend rows (memory, SQLite FULL/NORMAL, PostgreSQL per ordering) and fresh places
to run each contender: a new SQLite file or a new PostgreSQL schema per run."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["DEFAULT_POSTGRES_URL", "RESULTS", "ROWS", "Location", "Places", "Row", "select_rows"]

DEFAULT_POSTGRES_URL = os.environ.get(
    "TIDINGS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
RESULTS = Path(__file__).resolve().parent.parent / "results"
"""Where results go by default: ``benchmarks/results/`` (git-ignored)."""
SCHEMA_PREFIX = "tidings_bench_"
"""Every schema the harness makes starts with this, so leftovers can be dropped."""


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the results table: a backend with one setting."""

    key: str
    backend: str
    setting: str = ""
    primary: bool = True
    """The row the issue's targets are judged on; growth and memory run only here."""


ROWS = (
    Row("memory", "memory"),
    Row("sqlite-full", "sqlite", "full"),
    Row("sqlite-normal", "sqlite", "normal", primary=False),
    Row("postgres-log", "postgres", "log"),
    Row("postgres-category", "postgres", "category", primary=False),
    Row("postgres-stream", "postgres", "stream", primary=False),
)


def select_rows(spec: str) -> list[Row]:
    """Rows named by ``memory,sqlite,postgres`` (every row of a backend) or by row keys."""
    wanted = [item.strip() for item in spec.split(",") if item.strip()]
    chosen = [row for row in ROWS if row.backend in wanted or row.key in wanted]
    known = {row.backend for row in ROWS} | {row.key for row in ROWS}
    unknown = [item for item in wanted if item not in known]
    if unknown:
        raise ValueError(f"unknown backend {unknown[0]!r}; choose from {', '.join(sorted(known))}")
    return chosen


@dataclass(frozen=True, slots=True)
class Location:
    """A fresh, empty place for one contender: a SQLite file or a PostgreSQL schema."""

    row: Row
    sqlite_path: str = ""
    postgres_url: str = ""
    schema: str = ""

    def tidings_url(self) -> str:
        """The config string that opens a tidings store here."""
        if self.row.backend == "memory":
            return "memory://"
        if self.row.backend == "sqlite":
            return f"sqlite:///{self.sqlite_path}?synchronous={self.row.setting}"
        return f"{self.postgres_url}?schema={self.schema}&ordering={self.row.setting}"


def _owner_alive(schema: str) -> bool:
    """Whether the harness process that made ``schema`` (named after its pid) still runs."""
    pid = schema.removeprefix(SCHEMA_PREFIX).partition("_")[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Places:
    """Hands out fresh locations and removes them afterwards (files and schemas)."""

    def __init__(self, postgres_url: str = DEFAULT_POSTGRES_URL) -> None:
        self.postgres_url = postgres_url
        self._folder = Path(tempfile.mkdtemp(prefix="tidings-bench-"))
        self._counter = itertools.count(1)

    def fresh(self, row: Row) -> Location:
        """A new empty location for ``row``."""
        number = next(self._counter)
        if row.backend == "sqlite":
            return Location(row, sqlite_path=str(self._folder / f"run{number}.db"))
        if row.backend == "postgres":
            schema = f"{SCHEMA_PREFIX}{os.getpid()}_{number}"
            self._execute(f'CREATE SCHEMA "{schema}"')
            return Location(row, postgres_url=self.postgres_url, schema=schema)
        return Location(row)

    def discard(self, location: Location) -> None:
        """Remove what ``location`` holds."""
        if location.sqlite_path:
            for suffix in ("", "-wal", "-shm"):
                Path(location.sqlite_path + suffix).unlink(missing_ok=True)
        if location.schema:
            self._execute(f'DROP SCHEMA IF EXISTS "{location.schema}" CASCADE')

    def drop_leftovers(self) -> None:
        """Drop schemas left by interrupted runs of the harness (whose process is gone)."""
        import psycopg

        with psycopg.connect(self.postgres_url, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                (SCHEMA_PREFIX.replace("_", r"\_") + "%",),
            ).fetchall()
            for (schema,) in rows:
                if not _owner_alive(schema):
                    connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())

    def _execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.postgres_url, autocommit=True) as connection:
            connection.execute(statement.encode())

    def close(self) -> None:
        """Remove the temporary folder of SQLite files."""
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
