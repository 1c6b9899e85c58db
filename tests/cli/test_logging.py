"""The ``tidings`` loggers (issue 15, item 4): silent by default, records of stores opened
and closed and adapters loaded, ``-v`` in the command line, and never a password."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys

import pytest

import tidings
from postgres_server import SchemaFactory
from tidings.adapters import Registry

from .conftest import Invoke, run_script

SECRET = "hunter2-Secret"


def test_the_library_installs_only_a_null_handler() -> None:
    code = (
        "import logging, tidings; tidings.connect('memory://').close(); "
        "print([type(h).__name__ for h in logging.getLogger('tidings').handlers]); "
        "print(logging.getLogger().handlers)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == ["['NullHandler']", "[]"]
    assert result.stderr == ""  # nothing printed, no "no handlers" notice


def test_opening_and_closing_a_store_is_recorded(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tidings"):
        store = tidings.connect("memory://")
        store.close()
        store.close()  # idempotent: one record
    messages = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert messages[0][:2] == ("tidings", "INFO")
    assert messages[0][2].startswith("opened store memory:// with MemoryAdapter in ")
    assert messages[1:] == [("tidings", "INFO", "closed store memory://")]


def test_the_async_face_is_recorded_too(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        async with await tidings.connect_async("memory://"):
            pass

    with caplog.at_level(logging.INFO, logger="tidings"):
        asyncio.run(main())
    assert [r.getMessage().split(" with ")[0] for r in caplog.records] == [
        "opened store memory://",
        "closed store memory://",
    ]


def test_loading_an_adapter_is_recorded(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="tidings"):
        Registry().resolve("memory")
    loaded = [r for r in caplog.records if r.name == "tidings.plugins"]
    assert len(loaded) == 1
    assert loaded[0].levelname == "DEBUG"
    assert loaded[0].getMessage().startswith("loaded adapter memory:// (MemoryAdapter) from ")


def test_no_password_is_ever_logged(
    caplog: pytest.LogCaptureFixture, schemas: SchemaFactory
) -> None:
    name = schemas.name()
    server = schemas.server_url.replace("postgres@", f"postgres:{SECRET}@", 1)
    assert SECRET in server  # the local server trusts, so the password is sent but unused
    url = f"{server}?schema={name}"
    with caplog.at_level(logging.DEBUG):
        with tidings.connect(url) as store:
            store.log().read()
        with pytest.raises(tidings.StorageError) as failure:
            tidings.connect(url.replace(":5432/", ":1/"), connect_timeout=1)
    assert SECRET not in caplog.text
    assert SECRET not in str(failure.value)
    assert "postgresql://postgres:***@" in caplog.text


def test_verbose_turns_the_records_on_in_the_cli(invoke: Invoke) -> None:
    quiet = invoke("demo", "--url", "memory://")
    assert "opened store" not in quiet.stderr
    loud = invoke("-v", "demo", "--url", "memory://")
    assert "INFO tidings: opened store memory://" in loud.stderr
    assert "INFO tidings: closed store memory://" in loud.stderr
    assert "loaded adapter" not in loud.stderr  # DEBUG: -vv
    louder = run_script(["read", "--url", "memory://", "-vv"])  # a fresh process
    assert "DEBUG tidings.plugins: loaded adapter memory://" in louder.stderr
    assert not [
        h for h in logging.getLogger("tidings").handlers if not isinstance(h, logging.NullHandler)
    ]


def test_verbose_cli_never_shows_a_password(invoke: Invoke, schemas: SchemaFactory) -> None:
    server = schemas.server_url.replace("postgres@", f"postgres:{SECRET}@", 1)
    url = f"{server}?schema={schemas.name()}"
    for args in (["init"], ["read"], ["streams"]):
        result = invoke("-vv", *args, "--url", url)
        assert result.exit_code == 0, result.stderr
        assert SECRET not in result.stderr + result.stdout
    assert "postgres:***@" in result.stderr
    failed = invoke("-vv", "read", "--url", url.replace(":5432/", ":1/"))
    assert failed.exit_code == 1
    assert SECRET not in failed.stderr + failed.stdout


def test_postgres_records_schema_changes_and_timed_statements(
    caplog: pytest.LogCaptureFixture, schemas: SchemaFactory
) -> None:
    name = schemas.name()
    server = schemas.server_url.replace("postgres@", f"postgres:{SECRET}@", 1)
    url = f"{server}?schema={name}"
    with caplog.at_level(logging.DEBUG, logger="tidings"):
        with tidings.connect(url) as store:
            store.stream(category="c", stream="s").publish(
                events=[tidings.NewEvent(name="x", payload={"card": "4111-payload"})]
            )
            store.log().read()
        with tidings.connect(url):  # the schema exists now: no record of a change
            pass
    records = [r for r in caplog.records if r.name == "tidings.postgres"]
    info = [r.getMessage() for r in records if r.levelname == "INFO"]
    assert info == [f"created schema {name!r} at version 3"]
    statements = [r.getMessage() for r in records if r.levelname == "DEBUG"]
    assert any(" ms, 1 rows, " in line and "FROM" in line for line in statements)
    assert any(line.endswith(": COMMIT") for line in statements)
    assert SECRET not in caplog.text
    assert "4111-payload" not in caplog.text  # parameters are counted, never shown


def test_postgres_records_an_upgrade(
    caplog: pytest.LogCaptureFixture, schemas: SchemaFactory
) -> None:
    name = schemas.name()
    url = schemas.url(name)
    tidings.connect(url).close()
    with schemas.connect() as conn:
        conn.execute(f'UPDATE "{name}".schema_version SET version = 2')
    with caplog.at_level(logging.INFO, logger="tidings.postgres"):
        tidings.connect(url).close()
    assert [r.getMessage() for r in caplog.records if r.name == "tidings.postgres"] == [
        f"upgraded schema {name!r} from version 2 to 3"
    ]


def test_sqlite_records_schema_creation_statements_and_publishes(
    caplog: pytest.LogCaptureFixture, sqlite_url: str
) -> None:
    with caplog.at_level(logging.DEBUG, logger="tidings"), tidings.connect(sqlite_url) as store:
        store.stream(category="c", stream="s").publish(
            events=[tidings.NewEvent(name="x", payload={"card": "4111-payload"})]
        )
    records = [r for r in caplog.records if r.name == "tidings.sqlite"]
    info = [r.getMessage() for r in records if r.levelname == "INFO"]
    assert info == [f"created table 'events' in {sqlite_url} at schema version 2"]
    debug = [r.getMessage() for r in records if r.levelname == "DEBUG"]
    assert any(line.startswith(f'{sqlite_url}: INSERT INTO "events"') for line in debug)
    assert any(
        line.startswith(f"{sqlite_url}: published 1 events to 1 streams in ") for line in debug
    )
    assert "4111-payload" not in caplog.text  # literals are shown as ?


def test_the_adapter_loggers_are_silent_by_default(sqlite_url: str) -> None:
    code = (
        "import logging, sys, tidings; "
        "logging.basicConfig(stream=sys.stdout, level=logging.WARNING); "
        f"tidings.connect({sqlite_url!r}).close(); print('done')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "done\n"
