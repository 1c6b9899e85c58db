"""Contract §3, reading: ordered, filtered, lazy scans and ``latest``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tidings import EventStore, NewEvent, ValidationError
from tidings_testkit.suite import AdapterSuite
from tidings_testkit.suites._support import events

__all__ = ["ReadingSuite"]


def _populate(store: EventStore) -> None:
    """Interleaved writes to two categories and three streams."""
    store.stream(category="a", stream="one").publish(events=events(2, name="created"))
    store.stream(category="b", stream="two").publish(events=events(1, name="created"))
    store.stream(category="a", stream="three").publish(events=events(2, name="updated"))
    store.stream(category="a", stream="one").publish(events=events(1, name="deleted"))


class ReadingSuite(AdapterSuite):
    """Rules 14-17: scans return ascending sequence numbers and honour their arguments."""

    def test_log_scans_return_every_event_in_sequence_order(self, store: EventStore) -> None:
        _populate(store)
        log = store.log().read()
        assert [(e.category, e.stream, e.position) for e in log] == [
            ("a", "one", 0),
            ("a", "one", 1),
            ("b", "two", 0),
            ("a", "three", 0),
            ("a", "three", 1),
            ("a", "one", 2),
        ]
        numbers = [e.sequence_number for e in log]
        assert numbers == sorted(numbers)

    def test_category_scans_return_only_that_category(self, store: EventStore) -> None:
        _populate(store)
        read = store.category(category="a").read()
        assert [(e.stream, e.position) for e in read] == [
            ("one", 0),
            ("one", 1),
            ("three", 0),
            ("three", 1),
            ("one", 2),
        ]
        assert [e.stream for e in store.category(category="b").read()] == ["two"]

    def test_stream_scans_return_only_that_stream_in_position_order(
        self, store: EventStore
    ) -> None:
        _populate(store)
        read = store.stream(category="a", stream="one").read()
        assert [(e.position, e.name) for e in read] == [
            (0, "created"),
            (1, "created"),
            (2, "deleted"),
        ]

    def test_a_stream_name_is_scoped_by_its_category(self, store: EventStore) -> None:
        store.stream(category="a", stream="same").publish(events=events(1))
        store.stream(category="b", stream="same").publish(events=events(2))
        assert len(store.stream(category="a", stream="same").read()) == 1
        assert len(store.stream(category="b", stream="same").read()) == 2

    def test_after_keeps_events_with_greater_sequence_numbers(self, store: EventStore) -> None:
        _populate(store)
        log = store.log().read()
        third = log[2].sequence_number
        assert store.log().read(after=third) == log[3:]
        assert store.log().read(after=0) == log
        assert store.log().read(after=log[-1].sequence_number) == []
        category = store.category(category="a").read()
        assert store.category(category="a").read(after=third) == [
            e for e in category if e.sequence_number > third
        ]
        stream = store.stream(category="a", stream="one").read()
        assert store.stream(category="a", stream="one").read(after=third) == stream[2:]

    def test_limit_caps_the_number_of_events(self, store: EventStore) -> None:
        _populate(store)
        log = store.log().read()
        assert store.log().read(limit=2) == log[:2]
        assert store.log().read(limit=0) == []
        assert store.log().read(limit=100) == log
        assert store.category(category="a").read(limit=1) == log[:1]
        assert store.stream(category="a", stream="one").read(limit=2) == log[:2]

    def test_names_filter_keeps_only_the_named_events(self, store: EventStore) -> None:
        _populate(store)
        names = {e.name for e in store.log().read(names=["created", "deleted"])}
        assert names == {"created", "deleted"}
        assert len(store.log().read(names=["created"])) == 3
        assert [e.stream for e in store.category(category="a").read(names={"updated"})] == [
            "three",
            "three",
        ]
        assert store.stream(category="a", stream="one").read(names=["updated"]) == []
        assert store.log().read(names=[]) == []

    def test_after_limit_and_names_combine(self, store: EventStore) -> None:
        _populate(store)
        log = store.log().read()
        read = store.log().read(after=log[0].sequence_number, limit=2, names=["created", "deleted"])
        assert read == [log[1], log[2]]

    def test_iterate_is_lazy_and_can_be_abandoned(self, store: EventStore) -> None:
        store.stream(category="c", stream="s").publish(events=events(5))
        iterator = store.log().iterate()
        assert isinstance(iterator, Iterator)
        assert next(iterator).position == 0
        assert next(iterator).position == 1
        del iterator
        assert len(store.log().read()) == 5

    def test_a_scan_reads_page_by_page_so_it_sees_events_published_while_it_runs(
        self, store: EventStore
    ) -> None:
        """Rule 16, observably: a paged scan reads each page when it gets there, so an
        event published after the first step but before the scan reaches it is yielded.
        A scan that reads everything at its first step (``iter(list(...))``, or one
        query drained at once) cannot yield it. Two pages are written first, so the scan
        has to fetch a second page; ``scan_page_size`` is the adapter's largest page."""
        stream = store.stream(category="c", stream="lazy")
        before = 2 * self.scan_page_size
        stream.publish(events=events(before))
        iterator = stream.iterate()
        first = next(iterator)
        assert first.position == 0
        later = stream.publish(events=[NewEvent(name="published-while-scanning")])
        rest = list(iterator)
        assert len(rest) == before, (
            "the scan did not yield an event published after its first step: it read "
            "everything before yielding (or its pages hold more than "
            f"scan_page_size={self.scan_page_size} events)"
        )
        assert rest[-1] == later[0]
        assert [e.position for e in rest] == list(range(1, before + 1))

    def test_a_scope_is_iterable(self, store: EventStore) -> None:
        store.stream(category="c", stream="s").publish(events=events(3))
        assert [e.position for e in store.stream(category="c", stream="s")] == [0, 1, 2]
        assert len(list(store.log())) == 3

    def test_scans_cross_page_boundaries_in_order(self, store: EventStore) -> None:
        for batch in range(5):
            store.stream(category="c", stream=f"s{batch % 2}").publish(events=events(500))
        log = list(store.log().iterate())
        assert len(log) == 2500
        numbers = [e.sequence_number for e in log]
        assert numbers == sorted(set(numbers))
        cutoff = log[100]  # position 100 of s0, which got batches 0, 2 and 4
        stream = list(store.stream(category="c", stream="s0").iterate(after=cutoff.sequence_number))
        assert [e.position for e in stream] == list(range(101, 1500))

    def test_latest_returns_the_newest_event_of_each_scope(self, store: EventStore) -> None:
        _populate(store)
        log = store.log().read()
        assert store.log().latest() == log[-1]
        assert store.category(category="a").latest() == log[-1]
        assert store.category(category="b").latest() == log[2]
        assert store.stream(category="a", stream="three").latest() == log[4]
        assert store.stream(category="a", stream="none").latest() is None
        assert store.category(category="none").latest() is None

    @pytest.mark.parametrize(
        ("arguments", "field"),
        [
            ({"after": -1}, "after"),
            ({"after": "3"}, "after"),
            ({"after": True}, "after"),
            ({"limit": -5}, "limit"),
            ({"limit": 1.5}, "limit"),
            ({"names": "created"}, "names"),
            ({"names": [""]}, "names"),
        ],
    )
    def test_invalid_scan_arguments_are_rejected(
        self, store: EventStore, arguments: dict[str, object], field: str
    ) -> None:
        with pytest.raises(ValidationError) as raised:
            store.log().read(**arguments)  # type: ignore[call-overload]
        assert raised.value.field == field

    def test_events_published_after_a_read_are_seen_by_the_next_read(
        self, store: EventStore
    ) -> None:
        stream = store.stream(category="c", stream="s")
        stream.publish(events=[NewEvent(name="first")])
        seen = stream.read()
        stream.publish(events=[NewEvent(name="second")])
        newer = stream.read(after=seen[-1].sequence_number)
        assert [e.name for e in newer] == ["second"]
