"""tidings through its public API: ``connect``, stream and log scopes, ``position_is``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import tidings
from tidings import NewEvent, UnmetWriteConditionError, position_is

from ..workload import CATEGORY, EVENT_NAME, Write, payload, stream_name
from .base import Contender

__all__ = ["TidingsWrite", "TidingsContender", "new_events"]

TidingsWrite = tuple[str, list[NewEvent]]
"""A stream name and the events of one publish."""


def new_events(writes: Sequence[Write]) -> list[TidingsWrite]:
    """The stream name and ``NewEvent`` list of each write (shared by the async contender)."""
    return [
        (
            stream_name(write.stream),
            [
                NewEvent(name=EVENT_NAME, payload=payload(write.position + offset))
                for offset in range(write.count)
            ],
        )
        for write in writes
    ]


class TidingsContender(Contender[TidingsWrite]):
    """A tidings store opened with :func:`tidings.connect`."""

    label = "tidings"

    def __init__(self, url: str) -> None:
        self.store = tidings.connect(url)

    def prepare(self, writes: Sequence[Write]) -> list[TidingsWrite]:
        return new_events(writes)

    def append(self, prepared: TidingsWrite) -> None:
        stream, events = prepared
        self.store.stream(category=CATEGORY, stream=stream).publish(events=events)

    def bulk_load(self, first_stream: int, streams: int, per_stream: int) -> None:
        # Events without ids get fresh ones on every publish, so one batch can be reused.
        events = _template(per_stream)
        for stream in range(first_stream, first_stream + streams):
            self.store.stream(category=CATEGORY, stream=stream_name(stream)).publish(events=events)

    def read_stream(self, stream: int) -> int:
        return len(self.store.stream(category=CATEGORY, stream=stream_name(stream)).read())

    def read_log(self, page: int) -> int:
        log, count, after = self.store.log(), 0, 0
        while events := log.read(after=after, limit=page):
            count += len(events)
            after = events[-1].sequence_number
        return count

    def first_page(self, page: int) -> int:
        return len(self.store.log().read(limit=page))

    def scan_log(self) -> int:
        count = 0
        for _ in self.store.log().iterate():
            count += 1
        return count

    def append_next(self, prepared: TidingsWrite) -> bool:
        name, events = prepared
        stream = self.store.stream(category=CATEGORY, stream=name)
        last = stream.latest()
        try:
            stream.publish(
                events=events, condition=position_is(None if last is None else last.position)
            )
        except UnmetWriteConditionError:
            return False
        return True

    def positions(self, stream: int) -> list[int]:
        scope = self.store.stream(category=CATEGORY, stream=stream_name(stream))
        return [event.position for event in scope.read()]

    def close(self) -> None:
        self.store.close()


@cache
def _template(count: int) -> list[NewEvent]:
    return [NewEvent(name=EVENT_NAME, payload=payload(index)) for index in range(count)]
