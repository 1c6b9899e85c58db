"""Seeing what runs and resetting it: ``store.consumers()`` and ``store.reset_consumer``,
and a group member's arguments. In one process, on SQLite files and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tidings
from postgres_server import SchemaFactory, postgres_url, schemas
from tidings import (
    Checkpoint,
    ConsumerStatus,
    EventStore,
    NewEvent,
    Projection,
    Projector,
    RetryPolicy,
    StoredEvent,
    ValidationError,
)

__all__ = ["postgres_url", "schemas"]

TALLY = Projector(handlers={"worked": lambda state, e: state.merge({"n": state.get("n", 0) + 1})})


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/events.db"
    else:
        factory: SchemaFactory = request.getfixturevalue("schemas")
        url = factory.url()
    with tidings.connect(url) as opened:
        yield opened


def _publish(store: EventStore, count: int) -> None:
    for index in range(count):
        store.stream(category="work", stream=f"s{index % 3}").publish(
            events=[NewEvent(name="worked", payload={"index": index})]
        )


def _status(store: EventStore, name: str) -> ConsumerStatus:
    (found,) = [status for status in store.consumers() if status.name == name]
    return found


def test_consumers_lists_a_consumer_with_its_lag_and_parked_events(store: EventStore) -> None:
    _publish(store, 6)

    def handler(event: StoredEvent) -> None:
        if event.payload["index"] == 1:
            raise RuntimeError("no")

    consumer = store.consumer(
        name="mailer",
        source=store.category(category="work"),
        handler=handler,
        retry=RetryPolicy(attempts=1, on_failure="park"),
    )
    consumer.run(until_caught_up=True)
    _publish(store, 4)
    status = _status(store, "mailer")
    assert (status.kind, status.lag, status.parked) == ("consumer", 4, 1)
    assert status.source == store.category(category="work").identifier
    assert status.lag_seconds >= 0
    assert status.checkpoint == consumer.checkpoint()


def test_reset_moves_a_consumer_to_the_beginning_the_end_or_a_checkpoint(
    store: EventStore,
) -> None:
    _publish(store, 5)
    handled: list[int] = []
    source = store.category(category="work")
    store.consumer(name="c", source=source, handler=lambda e: None).run(until_caught_up=True)
    assert _status(store, "c").lag == 0
    store.reset_consumer(name="c", to="beginning")
    assert _status(store, "c").lag == 5
    again = store.consumer(name="c", source=source, handler=lambda e: handled.append(e.position))
    assert again.run(until_caught_up=True) == 5
    end = store.reset_consumer(name="c", to="end")
    assert end == again.checkpoint()
    events = store.category(category="work").read()
    middle = Checkpoint.after_sequence_number(events[2].sequence_number)
    assert store.reset_consumer(name="c", to=str(middle)) == middle
    assert _status(store, "c").lag == 2
    with pytest.raises(ValidationError, match="no consumer or group"):
        store.reset_consumer(name="nobody", to="end")
    with pytest.raises(ValidationError, match="start"):
        store.reset_consumer(name="c", to="middle")


def test_consumers_lists_a_group_with_members_partitions_and_lag(store: EventStore) -> None:
    _publish(store, 9)
    member = store.group_member(
        group="tallies",
        source=store.category(category="work"),
        projector=TALLY,
        partitions=4,
        ttl=1.0,
        member="m1",
        poll_interval=0.05,
    )
    runner = threading.Thread(target=member.run)
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            listed = [status for status in store.consumers() if status.name == "tallies"]
            if listed and listed[0].lag == 0 and listed[0].members:
                break
            time.sleep(0.05)
        status = _status(store, "tallies")
        assert (status.kind, status.members, status.lag) == ("group", ("m1",), 0)
        assert [p.partition for p in status.partitions] == [0, 1, 2, 3]
        assert {p.owner for p in status.partitions} == {"m1"}
        with pytest.raises(ValidationError, match="live members"):
            store.reset_consumer(name="tallies", to="beginning")
    finally:
        member.stop()
        runner.join(timeout=30)
    total = sum(
        p.state["n"] for p in store.projections.search(name=TALLY.name).items if p.id != "$"
    )
    assert total == 9
    stopped = _status(store, "tallies")
    assert stopped.members == ()
    assert {p.owner for p in stopped.partitions} == {None}
    store.reset_consumer(name="tallies", to="beginning")
    assert _status(store, "tallies").lag == 9


def test_a_group_member_checks_its_arguments(store: EventStore) -> None:
    source = store.category(category="work")
    cases = [
        ({"handler": print, "projector": TALLY}, "handler"),
        ({}, "handler"),
        ({"handler": 3}, "handler"),
        ({"projector": "tally"}, "projector"),
        ({"handler": print, "partitions": 0}, "partitions"),
        ({"handler": print, "ttl": 0.01}, "ttl"),
        ({"handler": print, "group": ""}, "group"),
        ({"handler": print, "batch_size": 0}, "batch_size"),
    ]
    for arguments, field in cases:
        arguments.setdefault("group", "g")
        with pytest.raises(ValidationError) as caught:
            store.group_member(source=source, **arguments)  # type: ignore[arg-type]
        assert caught.value.field == field, arguments
    with pytest.raises(ValidationError, match="source"):
        store.group_member(group="g", source=store.stream(category="c", stream="s"), handler=print)


def test_members_must_agree_on_the_group(store: EventStore) -> None:
    source = store.category(category="work")
    first = store.group_member(group="g", source=source, handler=print, partitions=4, ttl=1.0)
    runner = threading.Thread(target=first.run)
    runner.start()
    try:
        time.sleep(0.3)
        other = store.group_member(group="g", source=source, handler=print, partitions=8)
        with pytest.raises(ValidationError, match="4 partitions, not 8"):
            other.run()
        elsewhere = store.group_member(group="g", source=store.log(), handler=print, partitions=4)
        with pytest.raises(ValidationError, match="follows"):
            elsewhere.run()
        twin = store.group_member(
            group="g", source=source, handler=print, partitions=4, member=first.member
        )
        with pytest.raises(ValidationError, match="already a member"):
            twin.run()
    finally:
        first.stop()
        runner.join(timeout=30)


def test_a_group_member_retries_then_parks_and_the_group_lists_what_it_parked(
    store: EventStore,
) -> None:
    _publish(store, 6)
    calls: list[int] = []

    def handler(event: StoredEvent) -> None:
        calls.append(event.payload["index"])
        if event.payload["index"] == 2:
            raise RuntimeError("no")

    member = store.group_member(
        group="mailers",
        source=store.category(category="work"),
        handler=handler,
        partitions=2,
        ttl=1.0,
        poll_interval=0.05,
        retry=RetryPolicy(attempts=2, backoff=0.0, on_failure="park"),
    )
    runner = threading.Thread(target=member.run)
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            listed = [status for status in store.consumers() if status.name == "mailers"]
            if listed and listed[0].lag == 0 and listed[0].parked == 1:
                break
            time.sleep(0.05)
    finally:
        member.stop()
        runner.join(timeout=30)
    assert calls.count(2) == 2, "tried twice, then parked"
    assert sorted(set(calls)) == list(range(6))
    assert _status(store, "mailers").parked == 1


def test_a_member_restarted_under_its_name_takes_it_over_once_the_old_row_stands_still(
    store: EventStore,
) -> None:
    source = store.category(category="work")
    dead = Projection(
        name="$members",
        id="g/worker-1",
        state={"group": "g", "member": "worker-1", "ttl": 1.0, "left": False},
    )
    store.projections.save(dead)  # a member that died without leaving
    member = store.group_member(
        group="g", source=source, handler=print, ttl=1.0, member="worker-1", poll_interval=0.05
    )
    runner = threading.Thread(target=member.run)
    started = time.monotonic()
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while len(member.owned) < 16 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(member.owned) == 16
        assert time.monotonic() - started >= 1.0, "it waited for the old row to stand still"
    finally:
        member.stop()
        runner.join(timeout=30)
