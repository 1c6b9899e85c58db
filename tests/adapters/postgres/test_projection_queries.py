"""Random queries over awkward documents give exactly what the reference evaluator gives."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidings import EventStore, Filter, Projection, field
from tidings._query.model import Operator, Query, Sort
from tidings.adapters import evaluate_query

SCALARS: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2**53,
    2**53 + 1,
    float(2**53),
    0.1,
    1.5,
    -0.0,
    1e16,
    "",
    "a",
    "B",
    "b",
    "ab",
    "é",
    "\ue000",
    "😀",
    "1",
    "%",
]
KEYS = ["a", "b"]
PATHS = ["state", "state.a", "state.b", "state.a.b", "state.a.0", "id", "position"]


def _value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 1 or roll < 0.6:
        return rng.choice(SCALARS)
    if roll < 0.8:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {key: _value(rng, depth + 1) for key in KEYS if rng.random() < 0.6}


def _documents() -> list[Projection]:
    """Objects with keys ``a`` and ``b``; every tenth state is any value at all."""
    rng = random.Random(5)
    documents = []
    for number in range(60):
        if number % 10 == 0:
            state = _value(rng, 0)
        else:
            state = {key: _value(rng, 1) for key in KEYS if rng.random() < 0.7}
        position = rng.choice([None, 0, 3, 2**40])
        name = rng.choice(["n", "N", "m"])
        documents.append(
            Projection(
                name=name,
                id=f"d{number:02}",
                state=state,
                position=position,
                sequence_number=position,
            )
        )
    return documents


@pytest.fixture
def filled(store: EventStore) -> tuple[EventStore, list[Projection]]:
    for document in _documents():
        store.projections.save(document)
    return store, store.projections.search().items


def _filter(operator: Operator, path: str, operand: Any) -> Filter:
    return Filter(field(path).path, operator, operand)


ORDERED = [v for v in SCALARS if isinstance(v, str | int | float) and not isinstance(v, bool)]
filters = st.one_of(
    st.builds(
        _filter,
        st.sampled_from([Operator.EQ, Operator.NE, Operator.CONTAINS]),
        st.sampled_from(PATHS),
        st.sampled_from(SCALARS),
    ),
    st.builds(
        _filter,
        st.sampled_from([Operator.LT, Operator.LE, Operator.GT, Operator.GE]),
        st.sampled_from(PATHS),
        st.sampled_from(ORDERED),
    ),
    st.builds(
        _filter,
        st.just(Operator.IN),
        st.sampled_from(PATHS),
        st.lists(st.sampled_from(SCALARS), max_size=3),
    ),
    st.builds(
        _filter,
        st.just(Operator.STARTSWITH),
        st.sampled_from(PATHS),
        st.sampled_from(["", "a", "é", "%", "_", "d0", "\ue000"]),
    ),
)
sorts = st.lists(
    st.builds(Sort, st.sampled_from([field(p).path for p in PATHS]), st.booleans()), max_size=2
)


def _reference(documents: list[Projection], query: Query) -> list[str]:
    """What :mod:`tidings._query.evaluate` finds (it leaves the name to the caller)."""

    def document(p: Projection) -> Callable[[str], Any]:
        return lambda column: p.state if column == "state" else getattr(p, column)

    named = [p for p in documents if query.name in (None, p.name)]
    return [f"{p.name}/{p.id}" for p in evaluate_query(named, query, document)]


@settings(
    max_examples=120,
    deadline=None,
    database=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    where=st.lists(filters, max_size=2),
    sort=sorts,
    name=st.sampled_from([None, "n", "N"]),
    limit=st.sampled_from([None, 0, 1, 7]),
    offset=st.sampled_from([0, 3]),
)
def test_searches_agree_with_the_reference(
    filled: tuple[EventStore, list[Projection]],
    where: list[Filter],
    sort: list[Sort],
    name: str | None,
    limit: int | None,
    offset: int,
) -> None:
    store, documents = filled
    query = Query(name=name, filters=tuple(where), sort=tuple(sort), limit=limit, offset=offset)
    page = store.projections.search(name=name, where=where, sort=sort, limit=limit, offset=offset)
    found, expected = [f"{p.name}/{p.id}" for p in page.items], _reference(documents, query)
    assert found == expected
    counted = store.projections.count(name=name, where=where)
    assert counted == len(_reference(documents, Query(name=name, filters=tuple(where))))


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sort=sorts, size=st.integers(min_value=1, max_value=9))
def test_keyset_paging_walks_the_reference_order(
    filled: tuple[EventStore, list[Projection]], sort: list[Sort], size: int
) -> None:
    store, documents = filled
    walked: list[str] = []
    page = store.projections.search(sort=sort, limit=size)
    while page.items:
        walked += [f"{p.name}/{p.id}" for p in page.items]
        page = store.projections.search(sort=sort, limit=size, after=page.cursor)
    expected = _reference(documents, Query(sort=tuple(sort)))
    assert walked == expected
