"""A PostgreSQL server for the tests, shared by tests/adapters/postgres and the conformance run.

``TIDINGS_TEST_POSTGRES_URL`` names the server (default: the local one, as ``postgres``).
When it cannot be reached: in CI (``CI`` set) the tests fail, never skip; elsewhere, if
PostgreSQL binaries are installed, pytest-postgresql starts a throwaway server; otherwise
the tests skip with a loud reason. Each test gets fresh schemas, dropped at teardown.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

__all__ = [
    "URL_ENV",
    "SchemaFactory",
    "SchemaPool",
    "postgres_url",
    "reused_schemas",
    "schema_pool",
    "schemas",
    "throwaway_postgresql",
    "throwaway_postgresql_as_postgres_user",
]

URL_ENV = "TIDINGS_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _pg_ctl() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return found[-1] if found else None


def _unreachable(url: str) -> str | None:
    """Why the server at ``url`` cannot be used, or None when it can."""
    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip()


def _throwaway_factory() -> Any:
    from pytest_postgresql import factories

    return factories.postgresql_proc(executable=_pg_ctl() or "pg_ctl", port=None)


throwaway_postgresql = _throwaway_factory()
"""pytest-postgresql's server, started only when ``postgres_url`` asks for it."""


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> str:
    """The URL of a reachable server, as psycopg and tidings accept it."""
    url = os.environ.get(URL_ENV, DEFAULT_URL)
    problem = _unreachable(url)
    if problem is None:
        return url
    where = f"{URL_ENV}={url}" if URL_ENV in os.environ else f"the default {url}"
    if os.environ.get("CI"):
        pytest.fail(f"CI needs PostgreSQL, but {where} is unreachable: {problem}", pytrace=False)
    if _pg_ctl() is None:
        pytest.skip(
            f"NO POSTGRESQL: {where} is unreachable ({problem}) and no PostgreSQL binaries "
            "(/usr/lib/postgresql/*/bin/pg_ctl) are installed to start one. Install "
            f"PostgreSQL or set {URL_ENV}."
        )
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # initdb refuses to run as root: run the throwaway server as the postgres user
        return str(request.getfixturevalue("throwaway_postgresql_as_postgres_user"))
    proc = request.getfixturevalue("throwaway_postgresql")
    return f"postgresql://{proc.user}@{proc.host}:{proc.port}/postgres"


@pytest.fixture(scope="session")
def throwaway_postgresql_as_postgres_user() -> Iterator[str]:
    """A throwaway server run by the ``postgres`` OS user, for root on a fresh machine."""
    pg_ctl = _pg_ctl()
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip(
            "NO POSTGRESQL: no server is running, and as root a throwaway server "
            "needs a 'postgres' OS user to run it; none exists"
        )
    assert pg_ctl is not None
    data = Path(tempfile.mkdtemp(prefix="tidings-pg-"))
    os.chown(data, owner.pw_uid, owner.pw_gid)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def as_postgres(*command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True
        )

    as_postgres(
        str(Path(pg_ctl).with_name("initdb")),
        "-D",
        str(data / "db"),
        "-A",
        "trust",
        "-U",
        "postgres",
    )
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    as_postgres(
        pg_ctl, "-D", str(data / "db"), "-o", options, "-l", str(data / "log"), "-w", "start"
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        as_postgres(pg_ctl, "-D", str(data / "db"), "-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)


class SchemaFactory:
    """Hands out fresh schema names on one server and drops them all at teardown."""

    def __init__(self, url: str) -> None:
        self.server_url = url
        self.names: list[str] = []

    def name(self) -> str:
        """A new, unused schema name."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self.names.append(name)
        return name

    def url(self, name: str | None = None) -> str:
        """A config string for a fresh schema (or for ``name``)."""
        chosen = name if name is not None else self.name()
        separator = "&" if "?" in self.server_url else "?"
        return f"{self.server_url}{separator}schema={chosen}"

    def connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        """An autocommit admin connection, for tests that look at the server directly."""
        return psycopg.connect(self.server_url, autocommit=True)

    def drop_all(self) -> None:
        with self.connect() as conn:
            for name in self.names:
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name))
                )


@pytest.fixture
def schemas(postgres_url: str) -> Iterator[SchemaFactory]:
    """Fresh schemas for one test, dropped when it ends."""
    factory = SchemaFactory(postgres_url)
    yield factory
    factory.drop_all()


class SchemaPool(SchemaFactory):
    """Schemas that outlive a test: created by the first store that opens one, emptied
    when the test ends (``TRUNCATE ... RESTART IDENTITY``, so sequence numbers start at 1
    again) and handed to the next test. The conformance suite opens thousands of stores,
    and creating and dropping a schema for each was most of its time; the schema's
    creation itself stays covered by the adapter's own tests."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._free: list[str] = []
        self._lent: list[str] = []
        self._admin: psycopg.Connection[tuple[Any, ...]] | None = None

    def name(self) -> str:
        name = self._free.pop() if self._free else super().name()
        self._lent.append(name)
        return name

    def release(self) -> None:
        """Empty every schema lent since the last release, and take them back."""
        conn = self._admin_connection()
        for name in self._lent:
            tables = [
                sql.SQL("{}.{}").format(sql.Identifier(name), sql.Identifier(table))
                for table in ("events", "projections")
                if conn.execute("SELECT to_regclass(%s)", [f'"{name}".{table}']).fetchone()
                != (None,)
            ]
            if tables:
                conn.execute(
                    sql.SQL("TRUNCATE {} RESTART IDENTITY").format(sql.SQL(", ").join(tables))
                )
        self._free.extend(self._lent)
        self._lent.clear()

    def _admin_connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        if self._admin is None or self._admin.closed:
            self._admin = self.connect()
            # The events table refuses TRUNCATE through a trigger; this session may skip it.
            self._admin.execute("SET session_replication_role = replica")
        return self._admin

    def close(self) -> None:
        """Close the admin connection that empties the schemas."""
        if self._admin is not None:
            self._admin.close()


@pytest.fixture(scope="session")
def schema_pool(postgres_url: str) -> Iterator[SchemaPool]:
    """The session's reusable schemas, dropped when the session ends."""
    pool = SchemaPool(postgres_url)
    yield pool
    pool.close()
    pool.drop_all()


@pytest.fixture
def reused_schemas(schema_pool: SchemaPool) -> Iterator[SchemaPool]:
    """Empty schemas for one test, taken from (and given back to) the session's pool."""
    yield schema_pool
    schema_pool.release()
