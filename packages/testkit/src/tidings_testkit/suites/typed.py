"""Contract rules 28-29: typed events round trip and upcast on read without rewriting
history; lazily decoded events are equal to eagerly decoded ones.

The event types here are dataclasses, so the suite runs without Pydantic; the Pydantic
round trip runs where Pydantic is installed.
"""

from __future__ import annotations

import itertools
import pickle
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from hypothesis import given

from tidings import (
    Capability,
    EventDecodingError,
    EventStore,
    EventTypes,
    NewEvent,
    Projector,
    StoredEvent,
    TypedEvent,
    UnknownEventTypeError,
    ValidationError,
)
from tidings import field as path
from tidings_testkit.suite import AdapterSuite, requires
from tidings_testkit.suites.fuzz import _VALID_JSON, _fuzzing

__all__ = ["TypedSuite"]

VERSION_KEY = "tidings:schema_version"


@dataclass(frozen=True)
class Opened:
    """An account was opened (version 1 throughout)."""

    owner: str
    limits: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Deposited:
    """Money came in; version 3: ``amount`` was ``cents`` in v1, ``currency`` came in v2."""

    amount: int
    currency: str


@dataclass(frozen=True)
class Balance:
    """A typed projection state."""

    owner: str = ""
    total: int = 0
    deposits: int = 0


def _v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    return {"amount": payload["cents"], "currency": "EUR"}


def _v2_to_v3(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "currency": payload["currency"].upper()}


def registry() -> EventTypes:
    types = EventTypes()
    types.register(Opened, name="opened")
    types.register(Deposited, name="deposited", version=3, upcasters={1: _v1_to_v2, 2: _v2_to_v3})
    return types


class BalanceProjector(Projector):
    name = "balance"

    def open(self, state: Balance, event: Opened) -> Balance:
        return Balance(owner=event.owner, total=state.total, deposits=state.deposits)

    def deposit(self, state: Balance, event: Deposited) -> Balance:
        return Balance(state.owner, state.total + event.amount, state.deposits + 1)


def _eager(event: StoredEvent) -> StoredEvent:
    """The same event with payload and metadata decoded up front, as before lazy reads."""
    values = {name: getattr(event, name) for name in StoredEvent._fields}
    return StoredEvent(**values)


class TypedSuite(AdapterSuite):
    """Typed events (rule 28) and lazy decoding (rule 29) on every adapter."""

    fuzz_examples: ClassVar[int] = 40

    # --- rule 28: typed events ---------------------------------------------------------

    def test_typed_events_round_trip_mixed_with_new_events(self, store: EventStore) -> None:
        types = registry()
        stream = store.stream(category="accounts", stream="a1")
        published = stream.publish(
            events=[
                Opened("ann", [1, 2]),
                NewEvent(name="noted", payload={"n": 1}),
                types.new_event(Deposited(5, "USD"), id="d-1", metadata={"by": "teller"}),
            ],
            types=types,
        )
        assert [event.name for event in published] == ["opened", "noted", "deposited"]
        read = stream.read(types=types, on_unknown="untyped")
        untyped = stream.read()
        assert [type(event) for event in read] == [TypedEvent, StoredEvent, TypedEvent]
        opened, noted, deposited = read
        assert isinstance(opened, TypedEvent)
        assert isinstance(deposited, TypedEvent)
        assert opened.data == Opened("ann", [1, 2])
        assert deposited.data == Deposited(5, "USD")
        assert noted == untyped[1]
        for typed, stored in ((opened, untyped[0]), (deposited, untyped[2])):
            assert typed.stored == stored
            assert (typed.id, typed.stream, typed.position, typed.sequence_number) == (
                stored.id,
                stored.stream,
                stored.position,
                stored.sequence_number,
            )
            assert typed.recorded_at == stored.recorded_at
        assert deposited.id == "d-1"
        assert deposited.metadata == {"by": "teller", VERSION_KEY: 3}
        assert deposited.version == 3
        assert untyped[2].payload == {"amount": 5, "currency": "USD"}

    def test_upcasters_chain_on_read_and_never_rewrite_stored_events(
        self, store: EventStore
    ) -> None:
        types = registry()
        stream = store.stream(category="accounts", stream="old")
        stream.publish(
            events=[
                NewEvent(name="deposited", payload={"cents": 7}),  # before types: version 1
                NewEvent(
                    name="deposited",
                    payload={"amount": 8, "currency": "gbp"},
                    metadata={VERSION_KEY: 2},
                ),
            ]
        )
        typed = stream.read(types=types)
        assert [event.data for event in typed] == [Deposited(7, "EUR"), Deposited(8, "GBP")]
        assert [event.version for event in typed] == [1, 2]
        assert [event.payload for event in stream.read()] == [
            {"cents": 7},
            {"amount": 8, "currency": "gbp"},
        ]

    def test_a_stored_version_without_an_upcaster_is_a_decoding_error(
        self, store: EventStore
    ) -> None:
        stream = store.stream(category="accounts", stream="future")
        stream.publish(
            events=[NewEvent(name="deposited", payload={"amount": 1}, metadata={VERSION_KEY: 9})]
        )
        with pytest.raises(EventDecodingError, match="newer than the registered version 3"):
            stream.read(types=registry())
        stream.publish(events=[NewEvent(name="opened", payload={"nobody": 1})])
        with pytest.raises(EventDecodingError, match="cannot become Opened"):
            stream.read(types=registry(), after=1)

    def test_an_unregistered_name_raises_or_comes_untyped(self, store: EventStore) -> None:
        stream = store.stream(category="accounts", stream="mixed")
        stream.publish(
            events=[NewEvent(name="mystery"), NewEvent(name="opened", payload={"owner": "x"})]
        )
        with pytest.raises(UnknownEventTypeError, match="mystery"):
            stream.read(types=registry())
        mixed = stream.read(types=registry(), on_unknown="untyped")
        assert isinstance(mixed[0], StoredEvent)
        assert isinstance(mixed[1], TypedEvent)
        with pytest.raises(ValidationError, match="on_unknown"):
            stream.read(types=registry(), on_unknown="skip")  # type: ignore[call-overload]

    def test_publishing_an_unregistered_type_names_the_event(self, store: EventStore) -> None:
        stream = store.stream(category="accounts", stream="refused")
        with pytest.raises(ValidationError, match=r"events\[1\].*not a registered event type"):
            stream.publish(events=[Opened("a"), Balance()], types=registry())
        with pytest.raises(
            ValidationError, match=r"metadata: 'tidings:schema_version' is reserved"
        ):
            stream.publish(events=[registry().new_event(Opened("a"), metadata={VERSION_KEY: 1})])
        assert stream.read() == []

    def test_a_typed_subscription_delivers_typed_events_with_checkpoints(
        self, store: EventStore
    ) -> None:
        types = registry()
        store.stream(category="accounts", stream="s1").publish(
            events=[Opened("a"), Deposited(1, "EUR"), NewEvent(name="noted")], types=types
        )
        subscription = store.category(category="accounts").subscribe(
            types=types, on_unknown="untyped", until_caught_up=True, batch_size=2
        )
        seen = list(subscription)
        assert [type(event).__name__ for event in seen] == [
            "TypedEvent",
            "TypedEvent",
            "StoredEvent",
        ]
        assert seen[1].data == Deposited(1, "EUR")
        assert subscription.checkpoint is not None
        plain = store.category(category="accounts").subscribe(until_caught_up=True)
        assert [event.id for event in plain] == [event.id for event in seen]

    @requires(Capability.PROJECTION_STORAGE)
    def test_a_typed_projector_keeps_a_dataclass_state_searchable(self, store: EventStore) -> None:
        types = registry()
        stream = store.stream(category="accounts", stream="p1")
        stream.publish(
            events=[Opened("ann"), Deposited(5, "EUR"), NewEvent(name="noted")], types=types
        )
        projector = BalanceProjector(types=types, initial_state=Balance, on_missing="ignore")
        projection = store.projections.project(projector, stream)
        assert projection.state == Balance("ann", 5, 1)
        stored = store.projections.load(name="balance", id="p1")
        assert stored is not None
        assert stored.state == {"owner": "ann", "total": 5, "deposits": 1}
        found = store.projections.search(name="balance", where=[path("state.total") >= 5])
        assert [item.id for item in found.items] == ["p1"]
        stream.publish(events=[Deposited(2, "EUR")], types=types)
        resumed = store.projections.project(projector, stream)
        assert resumed.state == Balance("ann", 7, 2)

    @requires(Capability.PROJECTION_STORAGE)
    def test_a_projection_consumer_keeps_a_typed_state(self, store: EventStore) -> None:
        types = registry()
        stream = store.stream(category="accounts", stream="c1")
        stream.publish(events=[Opened("bo"), Deposited(3, "EUR")], types=types)
        projector = BalanceProjector(types=types, initial_state=Balance, on_missing="ignore")
        consumer = store.projection_consumer(name="balances", source=stream, projector=projector)
        assert consumer.run(until_caught_up=True).state == Balance("bo", 3, 1)
        stream.publish(events=[Deposited(4, "EUR")], types=types)
        assert consumer.run(until_caught_up=True).state == Balance("bo", 7, 2)
        stored = store.projections.load(name="balance", id="c1")
        assert stored is not None
        assert stored.state == {"owner": "bo", "total": 7, "deposits": 2}

    def test_typed_reads_on_the_untyped_api_are_unchanged(self, store: EventStore) -> None:
        stream = store.stream(category="accounts", stream="plain")
        stream.publish(events=[Opened("z")], types=registry())
        (event,) = stream.read()
        assert event.payload == {"owner": "z", "limits": []}

    def test_a_pydantic_event_round_trips(self, store: EventStore) -> None:
        pydantic = pytest.importorskip("pydantic")

        class Renamed(pydantic.BaseModel):  # type: ignore[misc, name-defined]
            owner: str
            tags: list[str] = []  # noqa: RUF012 - Pydantic copies defaults

        types = EventTypes()
        types.register(
            Renamed, name="renamed", version=2, upcasters={1: lambda p: {"owner": p["who"]}}
        )
        stream = store.stream(category="accounts", stream="models")
        stream.publish(events=[NewEvent(name="renamed", payload={"who": "old"})])
        stream.publish(events=[Renamed(owner="bo", tags=["x"])], types=types)
        assert [event.data for event in stream.read(types=types)] == [
            Renamed(owner="old"),
            Renamed(owner="bo", tags=["x"]),
        ]

    # --- rule 29: lazy decoding --------------------------------------------------------

    def test_lazily_decoded_events_equal_eagerly_decoded_ones(self, store: EventStore) -> None:
        stream = store.stream(category="lazy", stream="l1")
        stream.publish(
            events=[
                NewEvent(name="e", payload={"a": [1, 2.5, None, "ü"]}, metadata={"m": True}),
                NewEvent(name="e", payload=[{"b": {}}], metadata=[]),
            ]
        )
        for reading in (stream.read(), list(stream.iterate()), [stream.latest()]):
            for event in reading:
                assert event is not None
                eager = _eager(event)
                assert event == eager
                assert eager == event
                assert hash(event) == hash(eager)
                assert repr(event) == repr(eager)
                assert pickle.loads(pickle.dumps(event)) == eager
                assert StoredEvent.from_dict(event.to_dict()) == eager
        lazy = stream.read()
        assert {*lazy, *stream.read()} == set(lazy)  # hashable, and equal reads collapse

    def test_fuzzed_payloads_read_lazily_or_eagerly_give_equal_events(
        self, store: EventStore
    ) -> None:
        counter = itertools.count()

        @_fuzzing(self.fuzz_examples // 2)
        @given(payload=_VALID_JSON, metadata=_VALID_JSON)
        def check(payload: Any, metadata: Any) -> None:
            stream = store.stream(category="lazy-fuzz", stream=f"s{next(counter)}")
            (published,) = stream.publish(
                events=[NewEvent(name="e", payload=payload, metadata=metadata)]
            )
            (lazy,) = stream.read()
            (untouched,) = stream.read()
            eager = _eager(lazy)
            assert lazy == eager == published
            assert untouched == eager  # compared before either decoded anything itself
            assert hash(untouched) == hash(eager)
            assert pickle.loads(pickle.dumps(untouched)) == eager
            assert repr(untouched) == repr(eager)

        check()
