"""Faults: a writer's backend killed mid-publish, a server that is down, a busy lock."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import tidings
from postgres_server import SchemaFactory
from tidings import NewEvent, StorageError, StoreBusyError, StoredEvent, WriteCondition

from .support import BLOCKED_BY, wait_until

PASSWORD = "s3cret-Pa55word"


class _KillMyBackend(WriteCondition):
    """A custom condition that terminates the backend of the publish evaluating it."""

    def __init__(self, schemas: SchemaFactory) -> None:
        self.schemas = schemas

    def holds_for(self, last_event: StoredEvent | None) -> bool:
        with self.schemas.connect() as admin:
            pid = admin.execute(
                "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()"
                " AND strpos(a.query, %s) > 0 LIMIT 1",
                [self.schemas.names[-1]],
            ).fetchone()
            assert pid is not None
            admin.execute("SELECT pg_terminate_backend(%s, 10000)", pid)
        return True

    def describe(self) -> str:
        return "a killed backend"


def _batch() -> list[NewEvent]:
    return [NewEvent(name="e", payload={"n": n}) for n in range(3)]


def test_a_backend_killed_inside_the_general_path_writes_no_partial_batch(
    schemas: SchemaFactory,
) -> None:
    with tidings.connect(schemas.url()) as store:
        stream = store.stream(category="c", stream="s")
        with pytest.raises(StorageError):
            stream.publish(events=_batch(), condition=_KillMyBackend(schemas))
        assert stream.read() == []
        stored = stream.publish(events=_batch())
        assert stream.read() == stored


def test_a_backend_killed_while_waiting_for_the_lock_writes_nothing_and_the_pool_recovers(
    schemas: SchemaFactory,
) -> None:
    name = schemas.name()
    with tidings.connect(schemas.url(name), pool_max_size=1) as store, schemas.connect() as admin:
        stream = store.stream(category="c", stream="s")
        errors: list[BaseException] = []

        def publish() -> None:
            try:
                stream.publish(events=_batch())
            except StorageError as error:
                errors.append(error)

        holder = schemas.connect()
        with holder:
            holder.execute("BEGIN")
            holder.execute(f'SELECT "{name}".take_locks(%s, %s, %s)', ["log", "c", ["s"]])
            writer = threading.Thread(target=publish)
            writer.start()
            wait_until(admin, BLOCKED_BY, holder.info.backend_pid, 1)
            (pid,) = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                [holder.info.backend_pid],
            ).fetchone() or (None,)
            admin.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])
            writer.join()
            holder.execute("ROLLBACK")
        assert len(errors) == 1
        assert stream.read() == []
        stored = stream.publish(events=_batch())
        assert [event.position for event in stored] == [0, 1, 2]


def test_reads_recover_from_a_pooled_connection_the_server_dropped(
    schemas: SchemaFactory,
) -> None:
    with tidings.connect(schemas.url(), application_name="tidings-drop") as store:
        stream = store.stream(category="c", stream="s")
        stored = stream.publish(events=_batch())
        with schemas.connect() as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
                " WHERE application_name = 'tidings-drop'"
            )
        assert stream.read() == stored


def _down_url() -> str:
    return f"postgresql://writer:{PASSWORD}@127.0.0.1:1/events?connect_timeout=2"


def test_a_server_that_is_down_at_connect_is_named_without_the_password() -> None:
    with pytest.raises(StorageError) as caught:
        tidings.connect(_down_url())
    message = str(caught.value)
    assert "127.0.0.1:1" in message
    assert PASSWORD not in message
    assert caught.value.__cause__ is not None
    assert PASSWORD not in str(caught.value.__cause__)


def test_a_wrong_password_is_reported_without_the_password(postgres_url: str) -> None:
    with tidings.connect(postgres_url.replace("postgres@", "postgres:x@", 1)) as store:
        assert "x@" not in repr(store)
    url = postgres_url.replace("postgres@", f"no_such_role_tidings:{PASSWORD}@", 1)
    with pytest.raises(StorageError) as caught:
        tidings.connect(url)
    assert PASSWORD not in str(caught.value)
    assert "no_such_role_tidings" in str(caught.value)


@pytest.mark.parametrize("timeout", ["lock_timeout", "statement_timeout"])
def test_a_publish_that_cannot_get_the_lock_in_time_raises_store_busy(
    schemas: SchemaFactory, timeout: str
) -> None:
    name = schemas.name()
    with tidings.connect(schemas.url(name), **{timeout: 0.2}) as store:
        holder = schemas.connect()
        with holder:
            holder.execute("BEGIN")
            holder.execute(f'SELECT "{name}".take_locks(%s, %s, %s)', ["log", "c", ["s"]])
            with pytest.raises(StoreBusyError, match="in time"):
                store.stream(category="c", stream="s").publish(events=_batch())
            holder.execute("ROLLBACK")
        assert store.log().read() == []


def test_the_store_repr_and_errors_never_show_the_password(schemas: SchemaFactory) -> None:
    url = schemas.url().replace("postgres@", f"postgres:{PASSWORD}@", 1)
    with tidings.connect(url) as store:
        assert PASSWORD not in repr(store)
        assert PASSWORD not in repr(store.adapter)


def test_a_closed_store_refuses_to_work(schemas: SchemaFactory) -> None:
    store = tidings.connect(schemas.url())
    adapter: Any = store.adapter
    store.close()
    with pytest.raises(tidings.StoreClosedError):
        adapter.latest(tidings.LogIdentifier())
    adapter.close()
