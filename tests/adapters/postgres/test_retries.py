"""Idempotent retries and duplicate ids, including racing writers at finer ordering levels."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import tidings
from postgres_server import SchemaFactory
from tidings import DuplicateEventIdError, NewEvent, WriteCondition
from tidings._model.events import StoredEvent


class _Always(WriteCondition):
    def holds_for(self, last_event: StoredEvent | None) -> bool:
        return True

    def describe(self) -> str:
        return "anything"


@pytest.mark.parametrize("condition", [None, _Always()], ids=["compiled", "general"])
def test_an_exact_retry_returns_the_stored_events(
    schemas: SchemaFactory, condition: WriteCondition | None
) -> None:
    with tidings.connect(schemas.url()) as store:
        stream = store.stream(category="c", stream="s")
        batch = [NewEvent(name="e", id="one"), NewEvent(name="e", id="two")]
        stored = stream.publish(events=batch, condition=condition)
        assert stream.publish(events=batch, condition=condition) == stored
        with pytest.raises(DuplicateEventIdError, match="'one'"):
            store.stream(category="c", stream="t").publish(events=batch[:1], condition=condition)
        assert stream.read() == stored


@pytest.mark.parametrize("ordering", ["category", "stream"])
def test_writers_racing_with_one_id_on_different_streams_store_it_once(
    schemas: SchemaFactory, ordering: str
) -> None:
    with tidings.connect(schemas.url(), ordering=ordering) as store:
        barrier = threading.Barrier(4)
        outcomes: list[Any] = []

        def write(number: int) -> None:
            stream = store.stream(category=f"c{number % 2}", stream=f"s{number}")
            barrier.wait()
            try:
                outcomes.append(stream.publish(events=[NewEvent(name="e", id="shared")]))
            except DuplicateEventIdError as error:
                outcomes.append(error)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(isinstance(outcome, list) for outcome in outcomes) == 1
        assert sum(isinstance(outcome, DuplicateEventIdError) for outcome in outcomes) == 3
        assert len(store.log().read()) == 1
