"""Contract rules 21-23: projection storage, the query language, and snapshots.

Expected results are written out by hand, never computed by the reference evaluator, so
the memory adapter is held to the documented semantics too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidings import (
    Capability,
    EventStore,
    Filter,
    NewEvent,
    Projection,
    Projector,
    SnapshotPolicy,
    StoredEvent,
    StreamIdentifier,
    ValidationError,
    field,
)
from tidings_testkit.suite import AdapterSuite, requires

__all__ = ["ProjectionSuite"]

MOMENT = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)

PEOPLE: dict[str, Any] = {
    "p1": {
        "age": 30,
        "nick": "Ann",
        "tags": ["vip", "new"],
        "address": {"city": "Oslo"},
        "active": True,
        "score": 1.5,
    },
    "p2": {"age": 25, "nick": "bob", "tags": [], "address": {"city": "Bergen"}, "active": False},
    "p3": {"age": "30", "nick": "Åse", "tags": "vip", "active": None, "score": 2},
    "p4": {},
    "p5": {"age": 30.0, "nick": "anna", "tags": ["VIP", 1, True], "address": "Oslo", "score": -1},
}


def _person(id: str, state: Any, **fields: Any) -> Projection:
    fields.setdefault("name", "person")
    return Projection(id=id, state=state, created_at=MOMENT, updated_at=MOMENT, **fields)


FILTERS: list[tuple[Filter, set[str]]] = [
    (field("state.age") == 30, {"p1", "p5"}),
    (field("state.age") == "30", {"p3"}),
    (field("state.age") != 30, {"p2", "p3", "p4"}),
    (field("state.active") == None, {"p3"}),  # noqa: E711 - builds a filter
    (field("state.active") == False, {"p2"}),  # noqa: E712 - builds a filter
    (field("state.active") == True, {"p1"}),  # noqa: E712 - builds a filter
    (field("state.active") != True, {"p2", "p3", "p4", "p5"}),  # noqa: E712
    (field("state.score") == 2, {"p3"}),
    (field("state.age") > 25, {"p1", "p5"}),
    (field("state.age") >= 25, {"p1", "p2", "p5"}),
    (field("state.age") < 30, {"p2"}),
    (field("state.age") <= 30.0, {"p1", "p2", "p5"}),
    (field("state.age") > "3", {"p3"}),
    (field("state.nick") < "a", {"p1"}),
    (field("state.nick") > "b", {"p2", "p3"}),
    (field("state.nick").is_in(["Ann", "bob", "zed"]), {"p1", "p2"}),
    (field("state.age").is_in([30, None]), {"p1", "p5"}),
    (field("state.age").is_in([]), set()),
    (field("state.tags").contains("vip"), {"p1"}),
    (field("state.tags").contains(1), {"p5"}),
    (field("state.tags").contains(True), {"p5"}),
    (field("state.tags").contains("v"), set()),
    (field("state.nick").startswith("An"), {"p1"}),
    (field("state.nick").startswith("a"), {"p5"}),
    (field("state.nick").startswith("%"), set()),
    (field("state.address.city") == "Oslo", {"p1"}),
    (field("state.address.city") != "Oslo", {"p2", "p3", "p4", "p5"}),
    (field("state.address") == "Oslo", {"p5"}),
    (field("state.address.city.zip") == "x", set()),
    (field("id") == "p4", {"p4"}),
    (field("id").startswith("p"), {"p1", "p2", "p3", "p4", "p5"}),
    (field("position") == 3, {"p2"}),
    (field("position") == None, {"p1", "p3", "p4", "p5"}),  # noqa: E711 - builds a filter
    (field("sequence_number") > 10, {"p2"}),
]


@requires(Capability.PROJECTION_STORAGE)
class ProjectionSuite(AdapterSuite):
    """Stored projections behave identically on every adapter that stores them."""

    @pytest.fixture
    def people(self, store: EventStore) -> EventStore:
        for id, state in PEOPLE.items():
            extra = {"position": 3, "sequence_number": 12} if id == "p2" else {}
            store.projections.save(_person(id, state, **extra))
        store.projections.save(_person("other", {"age": 30}, name="not-a-person"))
        return store

    def test_a_saved_projection_loads_field_for_field(self, store: EventStore) -> None:
        projection = _person(
            "joe",
            {"nick": "Joe", "tags": ["a"], "nested": {"n": 1.25}},
            source=StreamIdentifier("profiles", "joe"),
            position=4,
            sequence_number=42,
            projector_version=3,
        )
        store.projections.save(projection)
        assert store.projections.load(name="person", id="joe") == projection

    def test_save_replaces_the_projection_with_the_same_name_and_id(
        self, store: EventStore
    ) -> None:
        store.projections.save(_person("joe", {"v": 1}))
        store.projections.save(_person("joe", {"v": 2}, position=1))
        loaded = store.projections.load(name="person", id="joe")
        assert loaded is not None
        assert (loaded.state, loaded.position) == ({"v": 2}, 1)
        assert store.projections.count(name="person") == 1

    def test_loading_an_unknown_projection_returns_none(self, store: EventStore) -> None:
        assert store.projections.load(name="person", id="nobody") is None

    def test_locate_finds_a_projection_by_its_source(self, store: EventStore) -> None:
        source = StreamIdentifier("profiles", "joe")
        store.projections.save(_person("joe", {}, source=source))
        store.projections.save(_person("ann", {}, source=StreamIdentifier("profiles", "ann")))
        located = store.projections.locate(name="person", source=source)
        assert located is not None
        assert located.id == "joe"
        assert store.projections.locate(name="other", source=source) is None
        assert (
            store.projections.locate(
                name="person", source=store.stream(category="profiles", stream="joe")
            )
            == located
        )

    def test_non_portable_state_is_rejected_before_any_io(self, store: EventStore) -> None:
        with pytest.raises(ValidationError, match=r"state\.x"):
            store.projections.save(_person("joe", {"x": float("nan")}))
        with pytest.raises(ValidationError, match="id"):
            store.projections.save(_person("", {}))
        assert store.projections.count() == 0

    @pytest.mark.parametrize(
        ("condition", "expected"),
        FILTERS,
        ids=[f"{f.path.text} {f.operator.value} {f.value!r}" for f, _ in FILTERS],
    )
    def test_filters_mean_the_same_on_every_adapter(
        self, people: EventStore, condition: Filter, expected: set[str]
    ) -> None:
        found = people.projections.search(name="person", where=[condition]).items
        assert {p.id for p in found} == expected
        assert people.projections.count(name="person", where=[condition]) == len(expected)

    def test_filters_combine_with_and(self, people: EventStore) -> None:
        where = [field("state.age") == 30, field("state.tags").contains("vip")]
        assert [p.id for p in people.projections.search(name="person", where=where).items] == ["p1"]

    def test_the_default_order_is_name_then_id(self, people: EventStore) -> None:
        found = people.projections.search().items
        assert [(p.name, p.id) for p in found] == [
            ("not-a-person", "other"),
            ("person", "p1"),
            ("person", "p2"),
            ("person", "p3"),
            ("person", "p4"),
            ("person", "p5"),
        ]

    def test_sorting_orders_kinds_then_values_with_a_tie_break(self, people: EventStore) -> None:
        # missing < null < false < true < numbers < strings < containers
        by_active = people.projections.search(name="person", sort=["state.active"]).items
        assert [p.id for p in by_active] == ["p4", "p5", "p3", "p2", "p1"]
        by_age = people.projections.search(name="person", sort=["state.age"]).items
        assert [p.id for p in by_age] == ["p4", "p2", "p1", "p5", "p3"]
        by_age_desc = people.projections.search(name="person", sort=["-state.age"]).items
        assert [p.id for p in by_age_desc] == ["p3", "p1", "p5", "p2", "p4"]
        by_nick = people.projections.search(name="person", sort=["state.nick"]).items
        assert [p.id for p in by_nick] == ["p4", "p1", "p5", "p2", "p3"]

    def test_sorting_on_several_keys(self, people: EventStore) -> None:
        found = people.projections.search(name="person", sort=["-state.age", "-state.score"]).items
        assert [p.id for p in found] == ["p3", "p1", "p5", "p2", "p4"]
        found = people.projections.search(name="person", sort=["state.address", "-id"]).items
        assert [p.id for p in found] == ["p4", "p3", "p5", "p2", "p1"]

    def test_offset_paging_walks_the_whole_order(self, people: EventStore) -> None:
        pages = [
            people.projections.search(name="person", sort=["state.age"], limit=2, offset=offset)
            for offset in (0, 2, 4, 6)
        ]
        assert [[p.id for p in page.items] for page in pages] == [
            ["p4", "p2"],
            ["p1", "p5"],
            ["p3"],
            [],
        ]

    @pytest.mark.parametrize(
        "sort", [[], ["state.age"], ["-state.age", "state.nick"], ["state.tags"]]
    )
    def test_keyset_paging_walks_the_whole_order(self, people: EventStore, sort: list[str]) -> None:
        everything = [p.id for p in people.projections.search(name="person", sort=sort).items]
        walked: list[str] = []
        page = people.projections.search(name="person", sort=sort, limit=2)
        while page.items:
            walked += [p.id for p in page.items]
            page = people.projections.search(name="person", sort=sort, limit=2, after=page.cursor)
        assert walked == everything
        assert len(walked) == 5

    @pytest.mark.parametrize(
        ("arguments", "field_name"),
        [
            ({"sort": "state.age"}, "sort"),
            ({"sort": ["nowhere"]}, "path"),
            ({"limit": -1}, "limit"),
            ({"offset": 1.5}, "offset"),
            ({"where": ["state.age == 3"]}, "filters"),
        ],
    )
    def test_invalid_searches_are_rejected(
        self, store: EventStore, arguments: dict[str, Any], field_name: str
    ) -> None:
        with pytest.raises(ValidationError) as raised:
            store.projections.search(**arguments)
        assert raised.value.field == field_name

    def test_invalid_filters_are_rejected(self) -> None:
        with pytest.raises(ValidationError, match="scalar"):
            field("state.tags") == [1]  # noqa: B015 - builds a filter
        with pytest.raises(ValidationError, match="number or a string"):
            field("state.age") < None  # noqa: B015
        with pytest.raises(ValidationError, match="str"):
            field("state.nick").startswith(3)  # type: ignore[arg-type]

    def test_project_saves_and_resumes_from_the_stored_projection(self, store: EventStore) -> None:
        stream = store.stream(category="counters", stream="c1")
        stream.publish(events=[NewEvent(name="added", payload={"by": n}) for n in range(5)])
        counter = _CountingProjector()
        first = store.projections.project(counter, stream)
        assert (first.state, first.position, counter.applied) == ({"total": 10}, 4, 5)
        stream.publish(events=[NewEvent(name="added", payload={"by": 100})])
        again = store.projections.project(counter, stream)
        assert (again.state, again.position, counter.applied) == ({"total": 110}, 5, 6)
        stored = store.projections.load(name="counter", id="c1")
        assert stored is not None
        assert stored.state == {"total": 110}

    def test_a_projection_never_resumes_from_another_source(self, store: EventStore) -> None:
        first = store.stream(category="a", stream="same")
        second = store.stream(category="b", stream="same")
        first.publish(events=[NewEvent(name="added", payload={"by": 1})])
        second.publish(events=[NewEvent(name="added", payload={"by": 100})])
        store.projections.project(_CountingProjector(), first)
        with pytest.raises(ValidationError, match="id"):
            store.projections.project(_CountingProjector(), second)  # same default id
        kept_apart = store.projections.project(_CountingProjector(), second, id="b-same")
        assert kept_apart.state == {"total": 100}
        original = store.projections.load(name="counter", id="same")
        assert original is not None
        assert original.state == {"total": 1}

    def test_snapshots_are_saved_every_n_events(self, store: EventStore) -> None:
        stream = store.stream(category="counters", stream="c1")
        stream.publish(events=[NewEvent(name="added", payload={"by": 1}) for _ in range(7)])
        store.projections.project(
            _CountingProjector(), stream, snapshots=SnapshotPolicy(every=3), save=False
        )
        snapshot = store.projections.load(name="counter@snapshot:v1", id="c1")
        assert snapshot is not None
        assert (snapshot.state, snapshot.position) == ({"total": 7}, 6)
        assert store.projections.load(name="counter", id="c1") is None

    def test_a_new_projector_version_does_not_resume_old_snapshots(self, store: EventStore) -> None:
        stream = store.stream(category="counters", stream="c1")
        stream.publish(events=[NewEvent(name="added", payload={"by": 2}) for _ in range(3)])
        store.projections.project(_CountingProjector(), stream, snapshots=SnapshotPolicy(every=2))
        doubled = _CountingProjector(version=2, factor=2)
        result = store.projections.project(doubled, stream)
        assert (result.state, doubled.applied) == ({"total": 12}, 3)

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.differing_executors,  # one test method, run by each adapter class
        ],
        database=None,
    )
    @given(
        amounts=st.lists(st.integers(min_value=-50, max_value=50), min_size=0, max_size=25),
        cuts=st.lists(st.integers(min_value=0, max_value=25), max_size=3),
        every=st.integers(min_value=1, max_value=6),
    )
    def test_a_resumed_projection_equals_one_from_scratch(
        self, make_store: Any, amounts: list[int], cuts: list[int], every: int
    ) -> None:
        store = make_store()
        stream = store.stream(category="counters", stream="c1")
        published = 0
        for cut in sorted({min(c, len(amounts)) for c in cuts} | {len(amounts)}):
            batch = amounts[published:cut]
            if batch:
                stream.publish(events=[NewEvent(name="added", payload={"by": a}) for a in batch])
            published = cut
            store.projections.project(
                _CountingProjector(), stream, snapshots=SnapshotPolicy(every=every)
            )
        resumed = store.projections.project(_CountingProjector(), stream)
        scratch = _CountingProjector().project(stream.read(), id="c1")
        assert resumed.state == scratch.state == {"total": sum(amounts)}
        assert resumed.version == scratch.version
        store.close()


class _CountingProjector(Projector):
    """Totals ``added`` events and counts how many events it applied."""

    name = "counter"

    def __init__(self, *, version: int = 1, factor: int = 1) -> None:
        super().__init__(version=version, initial_state=lambda: {"total": 0})
        self.applied = 0
        self.factor = factor

    def added(self, state: Any, event: StoredEvent) -> Any:
        self.applied += 1
        return state.merge({"total": state["total"] + event.payload["by"] * self.factor})
