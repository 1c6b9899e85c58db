"""Read-only stores (issue 14, item 7): ``?mode=ro``, or a file this user may not write.

A read-only store reads, scans, loads and searches projections, and refuses writes with
``UnsupportedCapabilityError`` before touching the file. Tests run as root, which file
permissions do not stop, so the permission cases run in a child process without the
capabilities that bypass them (``run_unprivileged``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest

import tidings
from tidings import (
    ConfigurationError,
    NewEvent,
    Projection,
    Projector,
    State,
    StoredEvent,
    UnsupportedCapabilityError,
    field,
)
from tidings_sqlite import Mode, SQLiteAdapter

from .conftest import raw_rows, run_unprivileged


class _Counter(Projector):
    name = "counter"

    def __init__(self) -> None:
        super().__init__(on_missing="ignore")

    def added(self, state: State, event: StoredEvent) -> State:
        return state.merge(total=state.get("total", 0) + event.payload["by"])


def _fill(path: Path) -> None:
    """A database with five events in two streams and one saved projection."""
    with tidings.connect(f"sqlite:///{path}") as store:
        store.stream(category="c", stream="a").publish(
            events=[NewEvent(name="added", payload={"by": n}) for n in (1, 2, 3)]
        )
        store.stream(category="c", stream="b").publish(
            events=[NewEvent(name="added", payload={"by": 10}), NewEvent(name="noted")]
        )
        store.projections.project(_Counter(), store.stream(category="c", stream="a"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    path = tmp_path / "events.db"
    _fill(path)
    return path


def test_mode_ro_reads_everything_and_refuses_every_write(filled: Path) -> None:
    before = _digest(filled)
    with tidings.connect(f"sqlite:///{filled}?mode=ro&page_size=2") as store:
        adapter = store.adapter
        assert isinstance(adapter, SQLiteAdapter)
        assert adapter.read_only
        assert adapter.options.mode is Mode.READ_ONLY
        assert "read-only" in repr(adapter)
        assert [e.position for e in store.log().read()] == [0, 1, 2, 0, 1]
        assert len(list(store.category(category="c").iterate(after=1))) == 4
        assert [e.name for e in store.log().read(names=["noted"])] == ["noted"]
        latest = store.stream(category="c", stream="a").latest()
        assert latest is not None
        assert latest.payload == {"by": 3}
        loaded = store.projections.load(name="counter", id="a")
        assert loaded is not None
        assert loaded.state == {"total": 6}
        assert store.projections.count(where=[field("state.total") > 5]) == 1
        assert [p.id for p in store.projections.search(name="counter").items] == ["a"]
        located = store.projections.locate(
            name="counter", source=store.stream(category="c", stream="a")
        )
        assert located == loaded
        fresh = store.projections.project(
            _Counter(), store.stream(category="c", stream="b"), save=False
        )
        assert fresh.state == {"total": 10}

        with pytest.raises(UnsupportedCapabilityError, match=r"cannot publish to .*read-only"):
            store.stream(category="c", stream="a").publish(events=[NewEvent(name="added")])
        with pytest.raises(UnsupportedCapabilityError, match="cannot save a projection"):
            store.projections.save(Projection(name="other", id="x", state={}))
        with pytest.raises(UnsupportedCapabilityError, match="read-only"):
            store.projections.project(_Counter(), store.stream(category="c", stream="b"))
        with pytest.raises(UnsupportedCapabilityError, match="read-only"):
            store.stream(category="c", stream="a").publish(events=[])
    assert _digest(filled) == before
    assert raw_rows(filled, "SELECT count(*) FROM events") == [(5,)]


def test_the_async_face_of_a_read_only_store_reads_and_refuses_writes(filled: Path) -> None:
    async def main() -> None:
        async with await tidings.connect_async(f"sqlite:///{filled}", mode="ro") as store:
            assert len(await store.log().read()) == 5
            loaded = await store.projections.load(name="counter", id="a")
            assert loaded is not None
            with pytest.raises(UnsupportedCapabilityError):
                await store.stream(category="c", stream="a").publish(events=[NewEvent(name="e")])

    asyncio.run(main())


def test_a_read_only_store_sees_what_a_writer_commits_later(filled: Path) -> None:
    with (
        tidings.connect(f"sqlite:///{filled}?mode=ro") as reader,
        tidings.connect(f"sqlite:///{filled}") as writer,
    ):
        assert len(reader.log().read()) == 5
        writer.stream(category="c", stream="a").publish(events=[NewEvent(name="added")])
        assert len(reader.log().read()) == 6
        assert len(reader.log().read(after=5)) == 1


def test_mode_ro_never_creates_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"does not exist.*never creates"):
        tidings.connect(f"sqlite:///{tmp_path}/missing.db?mode=ro")
    assert list(tmp_path.iterdir()) == []


def test_an_in_memory_database_cannot_be_read_only() -> None:
    with pytest.raises(ConfigurationError, match="cannot be read-only"):
        tidings.connect("sqlite://?mode=ro")


def test_mode_ro_refuses_a_database_without_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with tidings.connect(f"sqlite:///{path}?table=elsewhere"):
        pass
    before = _digest(path)
    with pytest.raises(ConfigurationError, match=r"table 'events' does not have .*write access"):
        tidings.connect(f"sqlite:///{path}?mode=ro")
    assert _digest(path) == before


def _child_report(url: str) -> str:
    """Python code that opens ``url`` in a child and prints what it could do, as JSON."""
    return (
        "import json, tidings\n"
        "report = {}\n"
        "try:\n"
        f"    store = tidings.connect({url!r})\n"
        "except tidings.TidingsError as error:\n"
        "    report['connect'] = f'{type(error).__name__}: {error}'\n"
        "else:\n"
        "    report['read_only'] = store.adapter.read_only\n"
        "    report['events'] = len(store.log().read())\n"
        "    report['projection'] = dict(store.projections.load(name='counter', id='a').state)\n"
        "    stream = store.stream(category='c', stream='a')\n"
        "    try:\n"
        "        stream.publish(events=[tidings.NewEvent(name='e')])\n"
        "    except tidings.TidingsError as error:\n"
        "        report['publish'] = type(error).__name__\n"
        "    store.close()\n"
        "print(json.dumps(report))\n"
    )


def test_a_file_this_user_may_not_write_opens_read_only(filled: Path) -> None:
    filled.chmod(0o444)
    before = _digest(filled)
    done = run_unprivileged(_child_report(f"sqlite:///{filled}"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "read_only": True,
        "events": 5,
        "projection": {"total": 6},
        "publish": "UnsupportedCapabilityError",
    }
    assert _digest(filled) == before


def test_mode_rw_refuses_a_file_this_user_may_not_write(filled: Path) -> None:
    filled.chmod(0o444)
    done = run_unprivileged(_child_report(f"sqlite:///{filled}?mode=rw"))
    assert done.returncode == 0, done.stderr
    message = json.loads(done.stdout)["connect"]
    assert message.startswith("ConfigurationError: ")
    assert "the file is read-only for this user" in message
    assert "mode=ro" in message


def test_a_read_only_folder_needs_a_writer_to_have_the_database_open(filled: Path) -> None:
    """SQLite reads a WAL database through its -shm file, which a read-only folder does
    not let a reader create: the error says so, and while a writer has the database open
    (and so the -shm file exists) the reader works."""
    folder = filled.parent
    filled.chmod(0o444)
    folder.chmod(0o555)
    try:
        alone = run_unprivileged(_child_report(f"sqlite:///{filled}"))
        with tidings.connect(f"sqlite:///{filled}?mode=ro") as writer_side:
            # root opens it (creating the -shm file, as a writer would) and keeps it open
            assert len(writer_side.log().read()) == 5
            beside_a_writer = run_unprivileged(_child_report(f"sqlite:///{filled}"))
    finally:
        folder.chmod(0o755)
    assert alone.returncode == 0, alone.stderr
    message = json.loads(alone.stdout)["connect"]
    assert "needs a 'events.db-shm' file" in message
    assert "make the folder writable" in message
    assert beside_a_writer.returncode == 0, beside_a_writer.stderr
    assert json.loads(beside_a_writer.stdout)["events"] == 5
