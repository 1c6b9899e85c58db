"""A Hypothesis state machine that drives an adapter and the reference model alike.

The model is :class:`~tidings_testkit.reference.ReferenceAdapter`, which ships with the
testkit: no adapter (not even ``memory://``) needs to be installed or allowed by
``TIDINGS_LOAD_PLUGINS``.

Random publishes (with and without conditions and ids), scans and ``latest`` calls run
against both; every result must match. Sequence numbers may have gaps on some adapters,
so events are compared by content and order, and ``after`` is mapped by log index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

import tidings
from tidings import (
    EventStore,
    NewEvent,
    NoCondition,
    Scope,
    StoredEvent,
    WriteCondition,
    position_is,
    stream_exists,
    stream_is_empty,
)
from tidings_testkit.reference import ReferenceAdapter
from tidings_testkit.suite import AdapterSuite

__all__ = ["StatefulSuite"]

STREAMS = [("a", "one"), ("a", "two"), ("b", "one")]
NAMES = ["created", "updated", "deleted"]
GIVEN_ID_PREFIX = "given-"
Outcome = tuple[str, Any]


def _comparable(event: StoredEvent) -> tuple[Any, ...]:
    """What must match between adapters: all but generated ids, sequence numbers and
    recorded_at, which each store assigns for itself."""
    return (
        event.id if event.id.startswith(GIVEN_ID_PREFIX) else None,
        event.name,
        event.category,
        event.stream,
        event.position,
        event.payload,
        event.metadata,
        event.occurred_at,
        event.observed_at,
    )


def _conditions() -> st.SearchStrategy[WriteCondition | str]:
    return st.one_of(
        st.just(NoCondition()),
        st.just(stream_is_empty()),
        st.just(stream_exists()),
        st.just("current"),  # position_is(the stream's real last position)
        st.integers(min_value=0, max_value=4).map(position_is),
        st.just(position_is(None)),
    )


class _Comparison(RuleBasedStateMachine):
    """Holds the adapter under test (``subject``) and the reference model side by side."""

    make_subject: Callable[[], EventStore]

    def __init__(self) -> None:
        super().__init__()
        self.subject = self.make_subject()
        self.model = EventStore(ReferenceAdapter())
        self.log_pairs: list[tuple[StoredEvent, StoredEvent]] = []
        self.id_counter = 0
        self.last_batch: tuple[tuple[str, str], list[NewEvent]] | None = None

    @initialize()
    def start_empty(self) -> None:
        assert self.subject.log().read() == []

    def _run(self, action: Callable[[EventStore], Any]) -> tuple[Outcome, Outcome]:
        outcomes = []
        for store in (self.subject, self.model):
            try:
                outcomes.append(("ok", action(store)))
            except tidings.TidingsError as error:
                outcomes.append(("error", type(error).__name__))
        return outcomes[0], outcomes[1]

    def _same_events(self, subject: list[StoredEvent], model: list[StoredEvent]) -> None:
        assert [_comparable(e) for e in subject] == [_comparable(e) for e in model]
        numbers = [e.sequence_number for e in subject]
        assert numbers == sorted(set(numbers))

    @rule(
        stream=st.sampled_from(STREAMS),
        count=st.integers(min_value=0, max_value=3),
        condition=_conditions(),
        with_ids=st.booleans(),
        name=st.sampled_from(NAMES),
    )
    def publish(
        self,
        stream: tuple[str, str],
        count: int,
        condition: WriteCondition | str,
        with_ids: bool,
        name: str,
    ) -> None:
        batch = []
        for index in range(count):
            self.id_counter += 1
            batch.append(
                NewEvent(
                    name=name,
                    payload={"index": index, "n": self.id_counter},
                    id=f"{GIVEN_ID_PREFIX}{self.id_counter}" if with_ids else None,
                )
            )
        if condition == "current":
            latest = self.model.stream(category=stream[0], stream=stream[1]).latest()
            condition = position_is(None if latest is None else latest.position)
        assert isinstance(condition, WriteCondition)
        self._publish(stream, batch, condition)
        if with_ids and batch:
            self.last_batch = (stream, batch)

    @rule()
    def retry_last_batch(self) -> None:
        if self.last_batch is not None:
            target, batch = self.last_batch
            self._publish(target, batch, NoCondition())

    def _publish(
        self, target: tuple[str, str], batch: list[NewEvent], condition: WriteCondition
    ) -> None:
        subject, model = self._run(
            lambda store: store.stream(category=target[0], stream=target[1]).publish(
                events=batch, condition=condition
            )
        )
        assert subject[0] == model[0], (subject, model)
        if subject[0] == "error":
            assert subject == model
            return
        self._same_events(subject[1], model[1])
        known = {pair[1].sequence_number for pair in self.log_pairs}
        for pair in zip(subject[1], model[1]):
            if pair[1].sequence_number not in known:
                self.log_pairs.append(pair)

    @rule(
        scope=st.sampled_from(["log", "a", "b", *STREAMS]),
        after_index=st.none() | st.integers(min_value=0, max_value=30),
        limit=st.none() | st.integers(min_value=0, max_value=5),
        names=st.none() | st.sets(st.sampled_from(NAMES), max_size=2),
    )
    def scan(
        self,
        scope: str | tuple[str, str],
        after_index: int | None,
        limit: int | None,
        names: set[str] | None,
    ) -> None:
        pair = None
        if after_index is not None and self.log_pairs:
            pair = self.log_pairs[after_index % len(self.log_pairs)]

        def scan_on(store: EventStore) -> list[StoredEvent]:
            after = (
                None if pair is None else pair[0 if store is self.subject else 1].sequence_number
            )
            return _scope(store, scope).read(after=after, limit=limit, names=names)

        subject, model = self._run(scan_on)
        assert subject[0] == model[0] == "ok"
        self._same_events(subject[1], model[1])

    @rule(scope=st.sampled_from(["log", "a", "b", *STREAMS]))
    def latest(self, scope: str | tuple[str, str]) -> None:
        subject, model = self._run(lambda store: _scope(store, scope).latest())
        assert (subject[1] is None) == (model[1] is None)
        if subject[1] is not None:
            self._same_events([subject[1]], [model[1]])

    @invariant()
    def logs_match(self) -> None:
        self._same_events(self.subject.log().read(), self.model.log().read())

    def teardown(self) -> None:
        self.subject.close()
        self.model.close()


def _scope(store: EventStore, scope: str | tuple[str, str]) -> Scope:
    if scope == "log":
        return store.log()
    if isinstance(scope, tuple):
        return store.stream(category=scope[0], stream=scope[1])
    return store.category(category=scope)


class StatefulSuite(AdapterSuite):
    """The adapter behaves exactly like the reference model on random operations."""

    stateful_examples: int = 30

    def test_matches_the_reference_model(self, make_store: Callable[[], EventStore]) -> None:
        machine = type("Comparison", (_Comparison,), {"make_subject": staticmethod(make_store)})
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=self.stateful_examples,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                database=None,
            ),
        )
