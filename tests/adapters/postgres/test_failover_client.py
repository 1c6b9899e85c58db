"""Issue 16, item 1, on the local server: libpq host lists, a distinct error when a
publish's outcome is unknown, and retries that republish the same ids without
duplicates (contract rules 10 and 32)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import psycopg
import pytest

import tidings
from postgres_server import SchemaFactory
from tidings import URL, NewEvent, OutcomeUnknownError, StorageError
from tidings_postgres.connection import Server
from tidings_postgres.options import PostgresOptions


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_host_list_parses_as_libpq_reads_it() -> None:
    url = URL.parse("postgresql://u:p@h1:5432,h2:5433,h3/db?target_session_attrs=read-write")
    assert url.host == "h1:5432,h2:5433,h3"
    assert url.port is None
    assert URL.parse(url.render(hide_password=False)) == url
    server = Server(url, PostgresOptions(target_session_attrs="read-write"))
    assert server.hosts == [("h1", 5432), ("h2", 5433), ("h3", 5432)]
    assert server.description == "u@h1:5432,h2:5433,h3:5432/db"
    assert "p" not in repr(server)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("postgresql://h1:5432,,h3/db", "an empty host in a host list"),
        ("postgresql://h1:5432,h2:99999/db", "the port is not a number"),
        ("postgresql://h1:5432,h2:x/db", "the port is not a number"),
    ],
)
def test_a_broken_host_list_is_refused_by_name(text: str, reason: str) -> None:
    with pytest.raises(tidings.InvalidURLError, match=reason):
        URL.parse(text)


def test_a_host_list_skips_a_server_that_is_down(schemas: SchemaFactory) -> None:
    real = URL.parse(schemas.server_url)
    listed = real.set(host=f"127.0.0.1:{_closed_port()},{real.host}:{real.port or 5432}", port=None)
    url = listed.set(query={**real.query, "schema": schemas.name()})
    with tidings.connect(url, target_session_attrs="read-write", connect_timeout=3) as store:
        stored = store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
        assert [event.position for event in stored] == [0]
        assert "127.0.0.1:" in repr(store)


def _hold_log_lock(conn: psycopg.Connection[tuple[object, ...]], schema: str) -> None:
    """Take the log-level ordering lock in an open transaction, as a writer would."""
    conn.execute("BEGIN")
    conn.execute(f'SELECT "{schema}".take_locks(%s, %s, %s::text[])', ("log", "c", ["s"]))


def _publisher_pid(admin: psycopg.Connection[tuple[object, ...]]) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'h16-writer'"
            " AND wait_event_type = 'Lock'"
        ).fetchone()
        if row:
            return int(row[0])
        time.sleep(0.02)
    raise AssertionError("the publish never waited for the lock")


def test_a_publish_cut_off_mid_flight_raises_outcome_unknown(schemas: SchemaFactory) -> None:
    schema = schemas.name()
    url = schemas.url(schema)
    with tidings.connect(url, application_name="h16-writer") as store, schemas.connect() as admin:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[NewEvent(name="warm-up")])
        with schemas.connect() as holder:
            _hold_log_lock(holder, schema)
            errors: list[BaseException] = []

            def publish() -> None:
                try:
                    stream.publish(events=[NewEvent(name="cut", id="cut-1")])
                except BaseException as error:  # noqa: BLE001 - recorded for the assert
                    errors.append(error)

            writer = threading.Thread(target=publish)
            writer.start()
            admin.execute("SELECT pg_terminate_backend(%s)", [_publisher_pid(admin)])
            writer.join(timeout=10)
            holder.execute("ROLLBACK")
        assert len(errors) == 1
        error = errors[0]
        assert isinstance(error, OutcomeUnknownError)
        assert isinstance(error, StorageError)
        assert "may or may not be stored" in str(error)
        assert "same ids" in str(error)
        # The retry with the same id stores it once.
        retried = stream.publish(events=[NewEvent(name="cut", id="cut-1")])
        again = stream.publish(events=[NewEvent(name="cut", id="cut-1")])
        assert retried == again
        assert [event.name for event in stream.read()] == ["warm-up", "cut"]


def test_no_connection_at_all_is_not_an_unknown_outcome() -> None:
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/test"
    with pytest.raises(StorageError) as caught:
        tidings.connect(url, connect_timeout=2)
    assert not isinstance(caught.value, OutcomeUnknownError)


class _Flaky:
    """Publishes for real, then raises OutcomeUnknownError for the first ``failures``
    calls, as a connection lost after the commit would."""

    def __init__(self, store: tidings.EventStore, failures: int) -> None:
        self.stream = store.stream(category="c", stream="retried")
        self.failures = failures
        self.calls: list[list[str | None]] = []

    def __call__(self, events: list[NewEvent]) -> list[tidings.StoredEvent]:
        self.calls.append([event.id for event in events])
        stored = self.stream.publish(events=events)
        if len(self.calls) <= self.failures:
            raise OutcomeUnknownError("the answer was lost")
        return stored


def test_publish_with_retry_never_duplicates(store: tidings.EventStore) -> None:
    flaky = _Flaky(store, failures=2)
    events = [NewEvent(name="a"), NewEvent(name="b", id="given")]
    stored = tidings.publish_with_retry(flaky, events, backoff=0.01)
    assert len(flaky.calls) == 3
    assert flaky.calls[0] == flaky.calls[1] == flaky.calls[2]
    assert flaky.calls[0][1] == "given"
    assert flaky.calls[0][0] is not None
    assert [event.id for event in stored] == flaky.calls[0]
    assert Counter(event.id for event in store.log().read()) == Counter(flaky.calls[0])


def test_publish_with_retry_gives_up_after_its_attempts(store: tidings.EventStore) -> None:
    flaky = _Flaky(store, failures=5)
    with pytest.raises(OutcomeUnknownError):
        tidings.publish_with_retry(flaky, [NewEvent(name="a")], attempts=3, backoff=0)
    assert len(flaky.calls) == 3
    assert len(store.log().read()) == 1


def test_publish_with_retry_raises_an_answer_at_once(store: tidings.EventStore) -> None:
    stream = store.stream(category="c", stream="s")
    stream.publish(events=[NewEvent(name="first")])
    calls = []

    def publish(events: list[NewEvent]) -> list[tidings.StoredEvent]:
        calls.append(events)
        return stream.publish(events=events, condition=tidings.stream_is_empty())

    with pytest.raises(tidings.UnmetWriteConditionError):
        tidings.publish_with_retry(publish, [NewEvent(name="second")])
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("attempts", 0), ("attempts", True), ("backoff", -1.0), ("max_backoff", float("nan"))],
)
def test_publish_with_retry_checks_its_arguments(field: str, value: object) -> None:
    with pytest.raises(tidings.ValidationError, match=field):
        tidings.publish_with_retry(lambda events: events, [], **{field: value})  # type: ignore[arg-type]


def test_publish_with_retry_async_never_duplicates(schemas: SchemaFactory) -> None:
    async def main() -> list[str]:
        async with await tidings.connect_async(schemas.url()) as store:
            stream = store.stream(category="c", stream="s")
            calls = 0

            async def publish(events: list[NewEvent]) -> list[tidings.StoredEvent]:
                nonlocal calls
                calls += 1
                stored = await stream.publish(events=events)
                if calls == 1:
                    raise OutcomeUnknownError("lost")
                return stored

            await tidings.publish_with_retry_async(publish, [NewEvent(name="a")], backoff=0)
            assert calls == 2
            return [event.id for event in await store.log().read()]

    assert len(asyncio.run(main())) == 1
