"""Built-in conditions compiled to SQL accept exactly what their Python check accepts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tidings
from postgres_server import SchemaFactory
from tidings import NewEvent, StoredEvent, UnmetWriteConditionError, WriteCondition
from tidings._model.conditions import (
    NoCondition,
    PositionIs,
    StreamExists,
    StreamIsEmpty,
    position_is,
    stream_exists,
)
from tidings_postgres.conditions import compile_condition

atoms = st.one_of(
    st.just(NoCondition()),
    st.just(StreamIsEmpty()),
    st.just(StreamExists()),
    st.builds(PositionIs, st.none() | st.integers(0, 4)),
)
conditions = st.recursive(
    atoms,
    lambda children: (
        st.builds(lambda a, b: a & b, children, children)
        | st.builds(lambda a, b: a | b, children, children)
    ),
    max_leaves=8,
)


@given(conditions, st.none() | st.integers(0, 5))
def test_a_compiled_condition_accepts_what_the_condition_holds_for(
    condition: WriteCondition, last_position: int | None
) -> None:
    compiled = compile_condition(condition)
    assert compiled is not None
    last = None if last_position is None else _event_at(last_position)
    assert compiled.accepts(last_position) == condition.holds_for(last)


def _event_at(position: int) -> StoredEvent:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return StoredEvent(
        id="x",
        name="e",
        category="c",
        stream="s",
        position=position,
        sequence_number=position + 1,
        payload={},
        metadata={},
        occurred_at=now,
        observed_at=now,
        recorded_at=now,
    )


class _EvenPosition(WriteCondition):
    def holds_for(self, last_event: StoredEvent | None) -> bool:
        return last_event is not None and last_event.position % 2 == 0

    def describe(self) -> str:
        return "an even last position"


class _Subclass(PositionIs):
    def holds_for(self, last_event: StoredEvent | None) -> bool:
        return True


def test_custom_conditions_and_subclasses_of_built_ins_are_not_compiled() -> None:
    assert compile_condition(_EvenPosition()) is None
    assert compile_condition(_Subclass(3)) is None
    assert compile_condition(position_is(0) & _EvenPosition()) is None


def test_a_custom_condition_takes_the_general_path(schemas: SchemaFactory) -> None:
    with tidings.connect(schemas.url()) as store:
        stream = store.stream(category="c", stream="s")
        with pytest.raises(UnmetWriteConditionError, match="even last position"):
            stream.publish(events=[NewEvent(name="e")], condition=_EvenPosition())
        stream.publish(events=[NewEvent(name="e")])
        stored = stream.publish(
            events=[NewEvent(name="e")], condition=_EvenPosition() & stream_exists()
        )
        assert stored[0].position == 1
        assert stream.read()[-1] == stored[0]


def test_an_unmet_compiled_condition_names_the_stream_expected_and_found(
    schemas: SchemaFactory,
) -> None:
    with tidings.connect(schemas.url()) as store:
        stream = store.stream(category="orders", stream="o-1")
        stream.publish(events=[NewEvent(name="e"), NewEvent(name="e")])
        with pytest.raises(UnmetWriteConditionError) as caught:
            stream.publish(events=[NewEvent(name="e")], condition=position_is(0) | position_is(3))
        message = str(caught.value)
        assert "'orders'/'o-1'" in message
        assert "last position 0" in message
        assert "found last position 1" in message
