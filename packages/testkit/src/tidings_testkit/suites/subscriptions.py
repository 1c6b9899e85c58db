"""Contract rules 24-27: subscriptions follow a scope in order without skipping, resume
from checkpoints, and consumers keep their checkpoints (and projections) in the store."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections import Counter, defaultdict
from itertools import pairwise
from typing import Any

import pytest

from tidings import (
    Capability,
    Checkpoint,
    EventStore,
    NewEvent,
    Projector,
    RetryPolicy,
    StoreClosedError,
    StoredEvent,
    UnmetWriteConditionError,
    ValidationError,
    position_is,
)
from tidings_testkit.suite import AdapterSuite, requires
from tidings_testkit.suites._support import events

__all__ = ["SubscriptionSuite"]

_POLL = 0.05
"""A short poll interval, so that a subscriber without notifications keeps up quickly."""


def _numbers(stored: list[StoredEvent]) -> list[int]:
    return [event.sequence_number for event in stored]


class SubscriptionSuite(AdapterSuite):
    """Subscriptions (rules 24-25) on every adapter; consumers and checkpoints (rules
    26-27) on adapters that store projections."""

    def test_a_subscription_catches_up_in_order(self, store: EventStore) -> None:
        store.stream(category="c", stream="a").publish(events=events(3))
        store.stream(category="c", stream="b").publish(events=events(2))
        subscription = store.log().subscribe(until_caught_up=True, batch_size=2)
        seen = list(subscription)
        assert seen == store.log().read()
        assert subscription.checkpoint is not None

    def test_a_subscription_follows_events_published_after_it_started(
        self, store: EventStore
    ) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=events(1))
        subscription = store.log().subscribe(poll_interval=_POLL)

        def publish_later() -> None:
            for index in range(5):
                time.sleep(0.01)
                stream.publish(events=[NewEvent(name="later", payload={"index": index})])

        writer = threading.Thread(target=publish_later)
        writer.start()
        seen: list[StoredEvent] = []
        for event in subscription:
            seen.append(event)
            if len(seen) == 6:
                subscription.close()
        writer.join()
        assert seen == stream.read()

    def test_a_subscription_resumes_strictly_after_its_checkpoint(self, store: EventStore) -> None:
        store.stream(category="c", stream="s").publish(events=events(5))
        first = store.log().subscribe(until_caught_up=True)
        taken = [next(first), next(first)]
        checkpoint = str(first.checkpoint)
        first.close()
        rest = list(store.log().subscribe(start=checkpoint, until_caught_up=True))
        assert taken + rest == store.log().read()
        again = list(
            store.log().subscribe(start=Checkpoint.parse(checkpoint), until_caught_up=True)
        )
        assert again == rest

    def test_a_subscription_from_the_end_skips_what_was_there(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=events(3))
        subscription = store.log().subscribe(start="end", until_caught_up=True)
        new = stream.publish(events=[NewEvent(name="new")])
        assert list(subscription) == new

    def test_a_category_subscription_filtered_by_names(self, store: EventStore) -> None:
        store.stream(category="c", stream="s").publish(
            events=[NewEvent(name="keep"), NewEvent(name="drop"), NewEvent(name="keep")]
        )
        store.stream(category="other", stream="s").publish(events=[NewEvent(name="keep")])
        seen = list(store.category(category="c").subscribe(names=["keep"], until_caught_up=True))
        assert [(e.category, e.name, e.position) for e in seen] == [
            ("c", "keep", 0),
            ("c", "keep", 2),
        ]

    def test_a_stream_subscription_yields_its_positions_in_order(self, store: EventStore) -> None:
        store.stream(category="c", stream="s").publish(events=events(4))
        store.stream(category="c", stream="t").publish(events=events(2))
        seen = list(store.stream(category="c", stream="s").subscribe(until_caught_up=True))
        assert [e.position for e in seen] == [0, 1, 2, 3]
        assert {e.stream for e in seen} == {"s"}

    def test_a_subscription_reads_in_batches_of_at_most_batch_size(self, store: EventStore) -> None:
        store.stream(category="c", stream="s").publish(events=events(7))
        batches = list(store.log().subscribe(batch_size=3, until_caught_up=True).batches())
        assert [len(batch) for batch in batches] == [3, 3, 1]

    def test_closing_the_store_ends_a_waiting_subscription(self, store: EventStore) -> None:
        subscription = store.log().subscribe(poll_interval=_POLL)
        outcome: list[Any] = []

        def follow() -> None:
            try:
                outcome.append(list(subscription))
            except StoreClosedError as error:  # also an acceptable end
                outcome.append(error)

        follower = threading.Thread(target=follow, daemon=True)
        follower.start()
        time.sleep(0.1)
        store.close()
        follower.join(timeout=10)
        assert not follower.is_alive()
        assert outcome in ([[]],) or isinstance(outcome[0], StoreClosedError)

    def test_bad_subscription_arguments_name_the_field(self, store: EventStore) -> None:
        scope = store.log()
        for arguments, field in (
            ({"start": "middle"}, "start"),
            ({"batch_size": 0}, "batch_size"),
            ({"poll_interval": float("nan")}, "poll_interval"),
            ({"names": "one-name"}, "names"),
        ):
            with pytest.raises(ValidationError) as caught:
                scope.subscribe(**arguments)
            assert caught.value.field == field

    def test_concurrent_writers_with_rollbacks_are_seen_once_in_stream_order(
        self, store: EventStore
    ) -> None:
        streams = [("c", f"s{index}") for index in range(4)]
        seen: list[StoredEvent] = []
        subscription = store.log().subscribe(poll_interval=_POLL, batch_size=7)
        follower = threading.Thread(target=lambda: seen.extend(subscription), daemon=True)

        def write(index: int) -> None:
            category, name = streams[index]
            stream = store.stream(category=category, stream=name)
            randomness = random.Random(index)
            for batch in range(25):
                last = stream.latest()
                expected = None if last is None else last.position
                if randomness.random() < 0.3:  # a stale condition: the write is refused
                    expected = (expected or 0) + 5
                with contextlib.suppress(UnmetWriteConditionError):
                    stream.publish(
                        events=events(randomness.randint(1, 3), name=f"w{index}-{batch}"),
                        condition=position_is(expected),
                    )

        follower.start()
        writers = [threading.Thread(target=write, args=(index,)) for index in range(4)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        total = len(store.log().read())
        deadline = time.monotonic() + 30
        while len(seen) < total and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # anything delivered twice would arrive now
        subscription.close()
        follower.join(timeout=10)
        assert not follower.is_alive(), "the subscription did not end when closed"
        stored = store.log().read()
        assert Counter(e.id for e in seen) == Counter(e.id for e in stored)
        by_stream: dict[tuple[str, str], list[int]] = defaultdict(list)
        for event in seen:
            by_stream[(event.category, event.stream)].append(event.position)
        for positions in by_stream.values():
            assert all(b == a + 1 for a, b in pairwise(positions))

    @requires(Capability.PROJECTION_STORAGE)
    def test_a_consumer_resumes_from_its_stored_checkpoint(self, store: EventStore) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=events(3))
        handled: list[int] = []
        consumer = store.consumer(
            name="counter", source=store.log(), handler=lambda e: handled.append(e.position)
        )
        assert consumer.run(until_caught_up=True) == 3
        stream.publish(events=events(2))
        again = store.consumer(
            name="counter", source=store.log(), handler=lambda e: handled.append(e.position)
        )
        assert again.run(until_caught_up=True) == 2
        assert handled == [0, 1, 2, 3, 4]
        assert again.checkpoint() == Checkpoint.parse(str(again.checkpoint()))

    @requires(Capability.PROJECTION_STORAGE)
    def test_a_consumer_retries_a_failing_handler(self, store: EventStore) -> None:
        store.stream(category="c", stream="s").publish(events=events(2))
        calls: Counter[int] = Counter()

        def flaky(event: StoredEvent) -> None:
            calls[event.position] += 1
            if calls[event.position] < 3:
                raise RuntimeError("not yet")

        consumer = store.consumer(
            name="flaky",
            source=store.log(),
            handler=flaky,
            retry=RetryPolicy(attempts=3, backoff=0),
        )
        assert consumer.run(until_caught_up=True) == 2
        assert calls == {0: 3, 1: 3}

    @requires(Capability.PROJECTION_STORAGE)
    def test_a_consumer_that_gives_up_stops_before_the_failing_event(
        self, store: EventStore
    ) -> None:
        stored = store.stream(category="c", stream="s").publish(events=events(3))

        def fail_on_second(event: StoredEvent) -> None:
            if event.position == 1:
                raise RuntimeError("broken event")

        consumer = store.consumer(
            name="strict",
            source=store.log(),
            handler=fail_on_second,
            retry=RetryPolicy(attempts=2, backoff=0),
        )
        with pytest.raises(RuntimeError, match="broken event"):
            consumer.run(until_caught_up=True)
        checkpoint = consumer.checkpoint()
        assert checkpoint is not None
        rest = list(store.log().subscribe(start=checkpoint, until_caught_up=True))
        assert rest == stored[1:]

    @requires(Capability.PROJECTION_STORAGE)
    def test_a_consumer_parks_what_keeps_failing_and_can_replay_it(self, store: EventStore) -> None:
        stored = store.stream(category="c", stream="s").publish(events=events(3))
        broken = {1}
        handled: list[int] = []

        def handler(event: StoredEvent) -> None:
            if event.position in broken:
                raise ValueError("cannot handle")
            handled.append(event.position)

        consumer = store.consumer(
            name="parking",
            source=store.category(category="c"),
            handler=handler,
            retry=RetryPolicy(attempts=1, on_failure="park"),
        )
        assert consumer.run(until_caught_up=True) == 3
        assert handled == [0, 2]
        parked = consumer.parked()
        assert [p.payload["event"]["id"] for p in parked] == [stored[1].id]
        assert parked[0].payload["error"]["type"] == "ValueError"
        broken.clear()
        assert consumer.replay_parked() == 1
        assert handled == [0, 2, 1]
        assert consumer.parked() == []

    @requires(Capability.PROJECTION_STORAGE)
    def test_a_projection_consumer_equals_a_projection_from_scratch(
        self, store: EventStore
    ) -> None:
        projector = Projector(
            handlers={"thing-happened": lambda state, e: state.merge({"n": state.get("n", 0) + 1})},
            name="things",
        )
        stream = store.stream(category="c", stream="s")
        stream.publish(events=events(5))
        consumer = store.projection_consumer(
            name="things-consumer", source=stream, projector=projector, batch_size=2
        )
        first = consumer.run(until_caught_up=True)
        assert first.state == {"n": 5}
        stream.publish(events=events(4))
        second = store.projection_consumer(
            name="things-consumer", source=stream, projector=projector, batch_size=2
        ).run(until_caught_up=True)
        assert second.state == projector.project({}, stream.read()).state == {"n": 9}
        saved = store.projections.load(name="things", id="s")
        assert saved is not None
        assert saved.state == {"n": 9}

    @requires(Capability.PROJECTION_STORAGE)
    def test_bad_consumer_arguments_name_the_field(self, store: EventStore) -> None:
        with pytest.raises(ValidationError) as caught:
            store.consumer(name="", source=store.log(), handler=print)
        assert caught.value.field == "name"
        with pytest.raises(ValidationError) as caught:
            RetryPolicy(on_failure="explode")  # type: ignore[arg-type]
        assert caught.value.field == "on_failure"
        with pytest.raises(ValidationError) as caught:
            store.consumer(name="c", source=store.log(), handler=print, batch_size=0)
        assert caught.value.field == "batch_size"
