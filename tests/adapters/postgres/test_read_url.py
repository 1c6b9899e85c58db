"""Issue 16, item 4, on the local server: ``read_url`` sends reads of events to another
server (here the same one, or a database without the schema, to show where reads go),
and ``wait_for_replica`` waits for the last publish's WAL position there. The real
standby, under concurrent writers, is tested in ``cluster/test_replicas.py``."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

import tidings
import tidings_postgres
import tidings_postgres.adapter
from postgres_server import SchemaFactory
from tidings import URL, NewEvent
from tidings_testkit import ReferenceAdapter


def _elsewhere(schemas: SchemaFactory) -> str:
    """The same server, another database: one that has no tidings schema."""
    return URL.parse(schemas.server_url).set(path="/postgres", query={}).render(hide_password=False)


def test_reads_of_events_go_to_the_read_url(schemas: SchemaFactory) -> None:
    with tidings.connect(schemas.url(), read_url=_elsewhere(schemas)) as store:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[NewEvent(name="a")])  # writes go to the primary
        with pytest.raises(tidings.StorageError, match=r"/postgres: .*does not exist"):
            store.log().read()
        with pytest.raises(tidings.StorageError, match="/postgres"):
            stream.latest()
        with pytest.raises(tidings.StorageError, match="/postgres"):
            next(iter(store.log().subscribe(poll_interval=0.01)))


def test_read_url_on_the_same_server_reads_and_waits(schemas: SchemaFactory) -> None:
    url = schemas.url()
    with tidings.connect(url, read_url=schemas.server_url) as store:
        tidings_postgres.wait_for_replica(store)  # nothing published yet
        stored = store.stream(category="c", stream="s").publish(events=[NewEvent(name="a")])
        lsn = store.adapter.last_commit_lsn  # type: ignore[attr-defined]
        assert lsn is not None
        assert "/" in lsn
        tidings_postgres.wait_for_replica(store, 1.0)  # a primary has replayed everything
        assert store.log().read() == stored
        subscription = store.log().subscribe(until_caught_up=True)
        assert list(subscription) == stored


def test_the_async_face_reads_from_the_read_url_and_waits(schemas: SchemaFactory) -> None:
    async def main() -> list[tidings.StoredEvent]:
        url = schemas.url()
        async with await tidings.connect_async(url, read_url=schemas.server_url) as store:
            await store.stream(category="c", stream="s").publish(events=[NewEvent(name="a")])
            await tidings_postgres.wait_for_replica(store, 1.0)
            return await store.log().read()

    assert [event.name for event in asyncio.run(main())] == ["a"]


def test_without_read_url_there_is_nothing_to_wait_for(store: tidings.EventStore) -> None:
    store.stream(category="c", stream="s").publish(events=[NewEvent(name="a")])
    tidings_postgres.wait_for_replica(store, 0.1)
    assert store.adapter.last_commit_lsn is None  # type: ignore[attr-defined]


def test_wait_for_replica_needs_a_postgres_store() -> None:
    with (
        tidings.EventStore(ReferenceAdapter()) as store,  # not PostgreSQL; no memory:// here
        pytest.raises(tidings.ConfigurationError, match="PostgreSQL store"),
    ):
        tidings_postgres.wait_for_replica(store)


def test_the_read_url_password_is_not_in_the_options_repr(schemas: SchemaFactory) -> None:
    with tidings.connect(
        schemas.url(), read_url="postgresql://reader:s3cret@127.0.0.1:5432/test"
    ) as store:
        assert "s3cret" not in repr(store.adapter.options)  # type: ignore[attr-defined]
        assert "s3cret" not in repr(store)


@pytest.mark.parametrize(
    ("read_url", "reason"),
    [
        ("sqlite:///x.db", "must be a postgresql:// config string"),
        ("postgresql://h/db?sslmode=require", "may only set target_session_attrs"),
        ("not a url", "not a config string"),
    ],
)
def test_a_wrong_read_url_is_refused_by_name(
    schemas: SchemaFactory, read_url: str, reason: str
) -> None:
    with pytest.raises(tidings.ConfigurationError, match=reason):
        tidings.connect(schemas.url(), read_url=read_url)


def test_a_read_url_that_stays_behind_a_new_schema_holds_the_first_read_back_once(
    schemas: SchemaFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first read on ``read_url`` after the store created its schema waits for that
    server to replay it, for ``connect_timeout`` at most; a server that stays behind
    (here: a replay check that always says no) is then read as it is, not refused.
    ``wait_for_replica`` still says that it is behind."""
    monkeypatch.setattr(tidings_postgres.adapter, "REPLAYED", "SELECT %(lsn)s::text = ''")
    schema = f"fresh_{uuid.uuid4().hex[:12]}"
    url = f"{schemas.server_url}{'&' if '?' in schemas.server_url else '?'}schema={schema}"
    try:
        with tidings.connect(url, read_url=schemas.server_url, connect_timeout=1) as store:
            started = time.monotonic()
            assert store.log().read() == []
            assert time.monotonic() - started >= 0.9, "the first read did not wait"
            stored = store.stream(category="c", stream="s").publish(events=[NewEvent(name="a")])
            assert store.log().read() == stored
            with pytest.raises(tidings.StorageError, match="did not replay"):
                tidings_postgres.wait_for_replica(store, 0.2)
    finally:
        with schemas.connect() as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
