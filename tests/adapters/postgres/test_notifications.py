"""Wake-ups on PostgreSQL (issue 11, item 3): a publish announces its commit with
``NOTIFY``, subscribers listen, and polling remains the fallback.

A subscriber here polls only every 60 seconds, while the test gives up after 20: an
event that arrives proves a notification woke the subscriber. A lost listener
connection must cost at most one poll, never the event.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from psycopg import sql

import tidings
from postgres_server import SchemaFactory
from tidings import NewEvent, StoredEvent
from tidings.adapters import URL
from tidings_postgres.async_notifications import AsyncCommitListener
from tidings_postgres.connection import AsyncConnection, Server
from tidings_postgres.notifications import channel_for
from tidings_postgres.options import PostgresOptions

SLOW_POLL = 60.0
"""Longer than any test here may run: only a notification can wake the subscriber."""
GIVE_UP = 20.0


def _follow_in_thread(subscription: Iterator[StoredEvent], count: int) -> list[StoredEvent]:
    """Collect ``count`` events from ``subscription`` in a thread; what arrived by
    :data:`GIVE_UP` seconds."""
    seen: list[StoredEvent] = []
    done = threading.Event()

    def follow() -> None:
        for event in subscription:
            seen.append(event)
            if len(seen) == count:
                done.set()
                return

    threading.Thread(target=follow, name="subscriber", daemon=True).start()
    done.wait(GIVE_UP)
    return seen


def test_a_publish_from_another_store_wakes_a_waiting_subscriber(
    schemas: SchemaFactory,
) -> None:
    url = schemas.url()
    with tidings.connect(url) as reader, tidings.connect(url) as writer:
        subscription = reader.log().subscribe(start="end", poll_interval=SLOW_POLL)
        waiting = threading.Thread(
            target=lambda: seen.extend(_follow_in_thread(subscription, 3)), daemon=True
        )
        seen: list[StoredEvent] = []
        waiting.start()
        for index in range(3):
            writer.stream(category="c", stream=f"s{index}").publish(
                events=[NewEvent(name="woken", payload={"index": index})]
            )
        waiting.join(GIVE_UP + 5)
        subscription.close()
    assert [event.payload["index"] for event in seen] == [0, 1, 2]


def test_two_subscribers_of_one_store_are_both_woken(schemas: SchemaFactory) -> None:
    """They share one listening connection; the one that does not read it is woken by
    the one that does."""
    url = schemas.url()
    with tidings.connect(url) as reader, tidings.connect(url) as writer:
        first = reader.log().subscribe(start="end", poll_interval=SLOW_POLL)
        second = reader.category(category="c").subscribe(start="end", poll_interval=SLOW_POLL)
        results: dict[str, list[StoredEvent]] = {}
        threads = [
            threading.Thread(
                target=lambda name=name, sub=sub: results.__setitem__(
                    name, _follow_in_thread(sub, 1)
                ),
                daemon=True,
            )
            for name, sub in (("log", first), ("category", second))
        ]
        for thread in threads:
            thread.start()
        writer.stream(category="c", stream="s").publish(events=[NewEvent(name="both")])
        for thread in threads:
            thread.join(GIVE_UP + 5)
        first.close()
        second.close()
    assert {name: [event.name for event in seen] for name, seen in results.items()} == {
        "log": ["both"],
        "category": ["both"],
    }


def test_async_subscribers_are_woken_too(schemas: SchemaFactory) -> None:
    url = schemas.url()

    async def scenario() -> list[str]:
        async with (
            await tidings.connect_async(url) as reader,
            await tidings.connect_async(url) as writer,
        ):
            subscription = await reader.log().subscribe(start="end", poll_interval=SLOW_POLL)

            async def first_two() -> list[str]:
                names = []
                async for event in subscription:
                    names.append(event.name)
                    if len(names) == 2:
                        return names
                return names

            task = asyncio.create_task(first_two())
            await asyncio.sleep(0.2)  # the subscriber catches up, then waits
            await writer.stream(category="c", stream="s").publish(events=[NewEvent(name="a")])
            await writer.stream(category="c", stream="t").publish(events=[NewEvent(name="b")])
            try:
                return await asyncio.wait_for(task, GIVE_UP)
            finally:
                await subscription.aclose()

    assert asyncio.run(scenario()) == ["a", "b"]


def _notifications_after_publish(schemas: SchemaFactory, schema: str, query: str) -> list[str]:
    """The channels notified while a store on ``schema`` publishes one event, then none."""
    with schemas.connect() as listener:
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel_for(schema))))
        with tidings.connect(schemas.url(schema) + query) as store:
            store.stream(category="c", stream="s").publish(events=[NewEvent(name="e")])
            store.stream(category="c", stream="s").publish(events=[])
        return [note.channel for note in listener.notifies(timeout=1.0)]


def test_each_publish_that_stores_events_notifies_once(schemas: SchemaFactory) -> None:
    schema = schemas.name()
    assert _notifications_after_publish(schemas, schema, "") == [channel_for(schema)]


def test_notify_false_sends_no_notification(schemas: SchemaFactory) -> None:
    assert _notifications_after_publish(schemas, schemas.name(), "&notify=false") == []


def test_a_dropped_listener_costs_a_poll_not_an_event(schemas: SchemaFactory) -> None:
    """The server ends the listening connection; the subscriber polls, then listens
    again on a new connection and is woken as before."""
    schema = schemas.name()
    url = schemas.url(schema)
    with tidings.connect(url) as reader, tidings.connect(url) as writer:
        subscription = reader.log().subscribe(start="end", poll_interval=0.5)
        seen: list[StoredEvent] = []
        follower = threading.Thread(
            target=lambda: seen.extend(_follow_in_thread(subscription, 2)), daemon=True
        )
        follower.start()
        channel = channel_for(schema)
        with schemas.connect() as admin:
            for _ in range(100):  # wait for the listener to exist, then end it
                ended = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE pid <> pg_backend_pid() AND query = %s",
                    [sql.SQL("LISTEN {}").format(sql.Identifier(channel)).as_string(admin)],
                ).fetchall()
                if ended:
                    break
                threading.Event().wait(0.05)
        assert ended, "the subscriber never opened a listening connection"
        writer.stream(category="c", stream="s").publish(events=[NewEvent(name="after-drop")])
        writer.stream(category="c", stream="s").publish(events=[NewEvent(name="again")])
        follower.join(GIVE_UP + 5)
        subscription.close()
    assert [event.name for event in seen] == ["after-drop", "again"]


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_notify_must_be_a_bool(schemas: SchemaFactory, value: str) -> None:
    with pytest.raises(tidings.ConfigurationError, match="notify"):
        tidings.connect(schemas.url() + f"&notify={value}")


def test_events_held_behind_a_foreign_transaction_arrive_soon_after_it_ends(
    schemas: SchemaFactory,
) -> None:
    """A transaction that is not a publish holds the commit horizon, then ends with no
    notification: the subscriber, which saw events waiting behind it, looks again soon
    rather than at its next poll."""
    url = schemas.url()
    with tidings.connect(url) as reader, tidings.connect(url) as writer:
        subscription = reader.log().subscribe(start="end", poll_interval=SLOW_POLL)
        seen: list[StoredEvent] = []
        follower = threading.Thread(
            target=lambda: seen.extend(_follow_in_thread(subscription, 1)), daemon=True
        )
        with schemas.connect() as foreign:
            foreign.execute("BEGIN")
            foreign.execute("SELECT pg_current_xact_id()")  # now it holds the horizon
            follower.start()
            writer.stream(category="c", stream="s").publish(events=[NewEvent(name="held")])
            threading.Event().wait(0.5)
            held_back = list(seen)
            foreign.execute("COMMIT")
        follower.join(GIVE_UP + 5)
        subscription.close()
    assert held_back == []
    assert [event.name for event in seen] == ["held"]


def test_a_listener_that_opens_as_its_store_closes_is_closed_too(
    schemas: SchemaFactory,
) -> None:
    """A subscriber may be opening the listening connection when its store closes: the
    connection that arrives afterwards is closed at once, never left open (an open
    connection nobody owns, found by a ResourceWarning in CI)."""
    url = URL.parse(schemas.url())
    options = PostgresOptions(schema=schemas.name())

    class GatedServer(Server):
        """A real server whose connections open only once the test lets them."""

        def __init__(self) -> None:
            super().__init__(url, options)
            self.connecting = asyncio.Event()
            self.release = asyncio.Event()
            self.opened: list[AsyncConnection] = []

        async def connect_async(self) -> AsyncConnection:
            self.connecting.set()
            await self.release.wait()
            conn = await super().connect_async()
            self.opened.append(conn)
            return conn

    async def race() -> GatedServer:
        server = GatedServer()
        listener = AsyncCommitListener(server, "tidings_test_channel")

        async def subscriber() -> None:
            await listener.wait(timeout=5.0)  # a first wait returns at once: read first
            await listener.wait(timeout=5.0)  # the second leads, and opens the connection

        waiter = asyncio.create_task(subscriber())
        await asyncio.wait_for(server.connecting.wait(), 10.0)
        await listener.aclose()
        server.release.set()
        await asyncio.wait_for(waiter, 10.0)
        return server

    server = asyncio.run(race())
    assert len(server.opened) == 1, "the waiter never opened its connection"
    assert server.opened[0].closed, "the connection opened after close was left open"
