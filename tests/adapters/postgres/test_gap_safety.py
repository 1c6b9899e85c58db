"""Contract rules 12 against real interleavings: the lock is taken before the last
position is read, and sequence numbers are drawn under it, so a tailing reader never
skips an event that commits later."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

import tidings
from postgres_server import SchemaFactory
from tidings import EventStore, NewEvent, StoredEvent, position_is
from tidings._api.store import Scope

from .support import BLOCKED_BY, raw_publish, wait_until

LEVELS = ["log", "category", "stream"]


def _waiters(
    conn: psycopg.Connection[tuple[Any, ...]],
    holder: psycopg.Connection[tuple[Any, ...]],
    count: int,
) -> None:
    """Wait until ``count`` backends are blocked behind ``holder``'s locks."""
    wait_until(conn, BLOCKED_BY, holder.info.backend_pid, count)


def _in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(work())
        except Exception as error:  # noqa: BLE001 - the test inspects it
            result.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


@pytest.mark.parametrize("level", LEVELS)
def test_a_writer_waiting_for_the_lock_reads_the_position_committed_before_it_got_it(
    schemas: SchemaFactory, level: str
) -> None:
    name = schemas.name()
    with tidings.connect(schemas.url(name), ordering=level) as store, schemas.connect() as admin:
        holder = schemas.connect()
        with holder, holder.transaction():
            raw_publish(holder, name, "c", "s", [NewEvent(name="first")], level)
            stream = store.stream(category="c", stream="s")
            thread, result = _in_thread(
                lambda: stream.publish(events=[NewEvent(name="second")], condition=position_is(0))
            )
            _waiters(admin, holder, 1)
        thread.join()
        [stored] = result
        assert isinstance(stored, list), stored
        assert [event.position for event in stream.read()] == [0, 1]


def test_reading_in_the_statement_that_takes_the_lock_would_see_a_stale_snapshot(
    schemas: SchemaFactory,
) -> None:
    """The hazard the append function avoids, shown on this server."""
    name = schemas.name()
    with tidings.connect(schemas.url(name)), schemas.connect() as admin:
        holder = schemas.connect()
        single = schemas.connect()
        with holder, single:
            holder.execute("BEGIN")
            raw_publish(holder, name, "c", "s", [NewEvent(name="first")])
            query = (
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0)),"
                f' (SELECT count(*) FROM "{name}".events)'
            )
            thread, result = _in_thread(
                lambda: single.execute(query, [f"tidings:{name}:log"]).fetchone()
            )
            _waiters(admin, holder, 1)
            holder.execute("COMMIT")
            thread.join()
        assert result[0][1] == 0


def _scope(store: EventStore, level: str) -> Scope:
    if level == "log":
        return store.log()
    if level == "category":
        return store.category(category="c")
    return store.stream(category="c", stream="s")


def _stream_for(level: str, writer: str) -> str:
    return "s" if level == "stream" else writer


@pytest.mark.parametrize("level", LEVELS)
def test_a_tailing_reader_sees_every_committed_event_once_in_order(
    schemas: SchemaFactory, level: str
) -> None:
    name = schemas.name()
    with tidings.connect(schemas.url(name), ordering=level) as store, schemas.connect() as admin:
        scope = _scope(store, level)
        seen: list[StoredEvent] = []
        stop = threading.Event()

        def tail() -> None:
            while True:
                done = stop.is_set()
                after = seen[-1].sequence_number if seen else None
                seen.extend(scope.read(after=after))
                if done:
                    return

        reader = threading.Thread(target=tail)
        reader.start()
        try:
            holder = schemas.connect()
            with holder:
                holder.execute("BEGIN")
                raw_publish(holder, name, "c", _stream_for(level, "a"), [NewEvent(name="a")], level)
                # Outside the scope: commits while the holder is open, except at log level.
                outsider, _ = _in_thread(
                    lambda: store.stream(category="other", stream="x").publish(
                        events=[NewEvent(name="outside")]
                    )
                )
                in_scope = store.stream(category="c", stream=_stream_for(level, "b"))
                writer, written = _in_thread(
                    lambda: in_scope.publish(events=[NewEvent(name="b"), NewEvent(name="b2")])
                )
                rolled_back = schemas.connect()
                with rolled_back:
                    rolled_back.execute("BEGIN")
                    aborter, _ = _in_thread(
                        lambda: raw_publish(
                            rolled_back,
                            name,
                            "c",
                            _stream_for(level, "c"),
                            [NewEvent(name="never")],
                            level,
                        )
                    )
                    _waiters(admin, holder, 2)
                    holder.execute("COMMIT")
                    aborter.join()
                    rolled_back.execute("ROLLBACK")
                writer.join()
                outsider.join()
            assert isinstance(written[0], list), written
            store.stream(category="c", stream=_stream_for(level, "d")).publish(
                events=[NewEvent(name="d")]
            )
        finally:
            stop.set()
            reader.join()
        committed = scope.read()
        inside = [event.name for event in committed if event.category == "c"]
        assert inside == ["a", "b", "b2", "d"]
        assert seen == committed
