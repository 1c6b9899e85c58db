"""The one-statement append of a single batch (issue 18): its snapshot predates the
ordering lock, so the last position it reads may be stale. These tests make it stale on
purpose: another transaction holds the lock, and commits an event to the same stream
while the publish waits. The publish must then go on to the append function, which
reads after the lock: land right after that event, or report the condition unmet."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg import sql

import tidings
from postgres_server import SchemaFactory
from tidings import NewEvent, StoredEvent, UnmetWriteConditionError, stream_is_empty
from tidings_postgres.notifications import channel_for


def _wait_until_blocked(admin: psycopg.Connection[Any], holder: int, timeout: float = 10) -> None:
    """Wait until some session waits for an advisory lock that ``holder`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = admin.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND pid <> %s",
            [holder],
        ).fetchone()
        if waiting and waiting[0]:
            return
        time.sleep(0.01)
    raise AssertionError("the publish never waited for the ordering lock")


def _publish_behind_a_commit(
    schemas: SchemaFactory, level: str, publish: Callable[[tidings.EventStore], object]
) -> tuple[object, list[StoredEvent]]:
    """Run ``publish`` while another transaction holds the ordering lock and writes
    position 0 of stream ``c/s``; commit that write once the publish waits for the lock.
    Returns what the publish returned (or raised) and the stream afterwards."""
    schema = schemas.name()
    with tidings.connect(schemas.url(schema), ordering=level) as store:
        store.stream(category="c", stream="other").publish(events=[NewEvent(name="warm-up")])
        outcome: list[object] = []
        with schemas.connect() as holder, schemas.connect() as admin:
            holder.execute("BEGIN")
            holder.execute(
                sql.SQL("SELECT {}.take_locks(%s, 'c', ARRAY['s'])").format(sql.Identifier(schema)),
                [level],
            )
            holder.execute(
                sql.SQL(
                    "INSERT INTO {}.events (id, name, category, stream, position, payload,"
                    " metadata, occurred_at, observed_at) VALUES ('first', 'first', 'c', 's', 0,"
                    " '{{}}', '{{}}', now(), now())"
                ).format(sql.Identifier(schema))
            )

            def run() -> None:
                try:
                    outcome.append(publish(store))
                except Exception as error:  # noqa: BLE001 - the test inspects it
                    outcome.append(error)

            writer = threading.Thread(target=run, name="publisher")
            writer.start()
            _wait_until_blocked(admin, holder.info.backend_pid)
            holder.execute("COMMIT")
            writer.join(timeout=30)
            assert not writer.is_alive()
        return outcome[0], store.stream(category="c", stream="s").read()


@pytest.mark.parametrize("level", ["log", "category", "stream"])
def test_a_stale_last_position_lands_right_after_the_event_committed_meanwhile(
    schemas: SchemaFactory, level: str
) -> None:
    result, stream = _publish_behind_a_commit(
        schemas,
        level,
        lambda store: store.stream(category="c", stream="s").publish(
            events=[NewEvent(name="second"), NewEvent(name="third")]
        ),
    )
    assert not isinstance(result, Exception), result
    assert [(e.name, e.position) for e in stream] == [("first", 0), ("second", 1), ("third", 2)]
    assert stream[1].sequence_number > stream[0].sequence_number
    assert result == stream[1:]


def test_a_condition_that_looked_met_on_a_stale_read_is_reported_unmet(
    schemas: SchemaFactory,
) -> None:
    result, stream = _publish_behind_a_commit(
        schemas,
        "log",
        lambda store: store.stream(category="c", stream="s").publish(
            events=[NewEvent(name="second")], condition=stream_is_empty()
        ),
    )
    assert isinstance(result, UnmetWriteConditionError), result
    assert "first" in str(result) or "position 0" in str(result)
    assert [e.name for e in stream] == ["first"]


def test_a_single_batch_gets_contiguous_positions_and_one_recorded_at(
    schemas: SchemaFactory,
) -> None:
    with tidings.connect(schemas.url()) as store:
        scope = store.stream(category="c", stream="s")
        first = scope.publish(events=[NewEvent(name=f"e{i}") for i in range(3)])
        second = scope.publish(events=[NewEvent(name="e3")])
        stored = scope.read()
    assert [e.position for e in stored] == [0, 1, 2, 3]
    assert stored == [*first, *second]
    assert len({e.recorded_at for e in first}) == 1
    assert [e.sequence_number for e in stored] == sorted(e.sequence_number for e in stored)


@pytest.mark.parametrize("level", ["log", "category", "stream"])
def test_a_publish_wakes_listeners_once_at_every_level(schemas: SchemaFactory, level: str) -> None:
    """At log level the wake-up rides in the publish's own statement; at the other
    levels it is a statement of its own after the commit. Either way: exactly once."""
    schema = schemas.name()
    with schemas.connect() as listener:
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel_for(schema))))
        with tidings.connect(schemas.url(schema), ordering=level) as store:
            store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
        channels = [note.channel for note in listener.notifies(timeout=1.0)]
    assert channels == [channel_for(schema)]
