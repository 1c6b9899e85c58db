"""Contract rule 24 on PostgreSQL: a log or category subscriber never skips an event,
even when writers lock only their streams and commit out of sequence number order, a
transaction stalls, or a transaction rolls back. A poller of "after sequence number N"
misses the stalled event; the subscription does not."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from psycopg import sql

import tidings
import tidings_postgres.adapter
from postgres_server import SchemaFactory
from tidings import NewEvent, StoredEvent


def _raw_insert(conn: object, schema: str, stream: str) -> None:
    """Insert an event the way the append function does, in the caller's transaction:
    it draws its sequence number (and its transaction id) now, and commits later."""
    conn.execute(  # type: ignore[attr-defined]
        sql.SQL(
            "INSERT INTO {}.events (id, name, category, stream, position, payload, metadata,"
            " occurred_at, observed_at) VALUES (%s, 'stalled', 'c', %s, 0, '{{}}', '{{}}',"
            " now(), now())"
        ).format(sql.Identifier(schema)),
        [f"stalled-{stream}", stream],
    )


def test_a_stalled_and_a_rolled_back_writer_never_make_a_subscriber_skip(
    schemas: SchemaFactory,
) -> None:
    schema = schemas.name()
    with tidings.connect(schemas.url(schema), ordering="stream") as store:
        store.stream(category="c", stream="warm-up").publish(events=[NewEvent(name="first")])
        seen: list[StoredEvent] = []
        subscription = store.log().subscribe(poll_interval=0.05)
        follower = threading.Thread(
            target=lambda: seen.extend(subscription), name="subscriber", daemon=True
        )
        follower.start()
        with schemas.connect() as stalled, schemas.connect() as rolled_back:
            stalled.execute("BEGIN")
            _raw_insert(stalled, schema, "stalled")  # the lowest pending sequence number
            rolled_back.execute("BEGIN")
            _raw_insert(rolled_back, schema, "rolled-back")
            later = [
                store.stream(category="c", stream=f"s{index}").publish(
                    events=[NewEvent(name="later", payload={"index": index})]
                )[0]
                for index in range(5)
            ]
            rolled_back.execute("ROLLBACK")
            time.sleep(0.3)
            # A poller that kept "the highest sequence number seen" now stands past the
            # stalled event, and will never see it.
            polled = store.log().read()
            stalled.execute("COMMIT")
        deadline = time.monotonic() + 10
        while len(seen) < 7 and time.monotonic() < deadline:
            time.sleep(0.02)
        subscription.close()
        follower.join(timeout=5)
    stalled_event = next(e for e in seen if e.name == "stalled")
    assert all(e.sequence_number > stalled_event.sequence_number for e in later)
    assert max(e.sequence_number for e in polled) > stalled_event.sequence_number
    assert "stalled" not in {e.name for e in polled}
    assert Counter(e.id for e in seen) == Counter(
        ["stalled-stalled", *(e.id for e in later), seen[0].id]
    )
    assert "stalled-rolled-back" not in {e.id for e in seen}


@contextmanager
def _behind_an_older_transaction(
    schemas: SchemaFactory,
) -> Iterator[tuple[tidings.EventStore, psycopg.Connection[Any], list[StoredEvent]]]:
    """A store whose last event, "before", committed while an older transaction (on
    ``older``, still open) holds the commit horizon back: "before" is above it."""
    with tidings.connect(schemas.url()) as store, schemas.connect() as older:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[NewEvent(name="warm-up")])
        older.execute("BEGIN")
        older.execute("SELECT pg_current_xact_id()")  # it now holds the horizon back
        yield store, older, stream.publish(events=[NewEvent(name="before")])


def test_a_subscription_from_the_end_waits_for_an_older_transaction_and_skips_what_was_there(
    schemas: SchemaFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction older than the last event is running (anywhere on the server): the
    events before "end" are committed but above the horizon. The subscription waits for
    it to end rather than deliver them again, and still gets what comes after."""
    # The commit comes 0.3 s in; a wait far longer than that keeps a loaded machine,
    # where the timer's thread may run late, from ending the wait first.
    monkeypatch.setattr(tidings_postgres.adapter, "HEAD_WAIT", 30.0)
    with _behind_an_older_transaction(schemas) as (store, older, before):
        stream = store.stream(category="c", stream="s")
        ending = threading.Timer(0.3, lambda: older.execute("COMMIT"))
        ending.start()
        started = time.monotonic()
        subscription = store.log().subscribe(start="end", until_caught_up=True)
        waited = time.monotonic() - started
        ending.join()
        after = stream.publish(events=[NewEvent(name="after")])
        seen = list(subscription)
    assert waited >= 0.2
    assert seen == after
    assert before[0] not in seen


def test_a_subscription_from_the_end_starts_at_the_horizon_when_an_older_transaction_stays(
    schemas: SchemaFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the wait, it starts at the horizon: it may deliver events committed just
    before it started again, but it skips nothing."""
    monkeypatch.setattr(tidings_postgres.adapter, "HEAD_WAIT", 0.2)
    with _behind_an_older_transaction(schemas) as (store, older, before):
        stream = store.stream(category="c", stream="s")
        subscription = store.category(category="c").subscribe(start="end", until_caught_up=True)
        older.execute("COMMIT")
        after = stream.publish(events=[NewEvent(name="after")])
        seen = list(subscription)
        everything = stream.read()
    # From the horizon: "before" again (and "warm-up" too if a transaction of another
    # client on the server was older still), then "after"; never a gap.
    assert seen[-2:] == before + after
    assert seen == everything[len(everything) - len(seen) :]
