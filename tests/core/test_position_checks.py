"""holds_at_position: the built-in conditions decided from a position alone agree with
the conditions' own verdict, and anything else is left to the condition."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tidings import (
    NoCondition,
    StoredEvent,
    WriteCondition,
    position_is,
    stream_exists,
    stream_is_empty,
)
from tidings.adapters import holds_at_position
from tidings_testkit import StoredEventBuilder

positions = st.none() | st.integers(min_value=0, max_value=5)
leaves = st.one_of(
    st.just(NoCondition()),
    st.just(stream_is_empty()),
    st.just(stream_exists()),
    positions.map(position_is),
)
conditions = st.recursive(
    leaves,
    lambda inner: st.tuples(inner, inner).flatmap(
        lambda pair: st.sampled_from([pair[0] & pair[1], pair[0] | pair[1]])
    ),
    max_leaves=6,
)


def _last_event(position: int | None) -> StoredEvent | None:
    return None if position is None else StoredEventBuilder().with_position(position).build()


@given(conditions, positions)
def test_built_in_conditions_agree_with_their_own_verdict(
    condition: WriteCondition, last_position: int | None
) -> None:
    assert holds_at_position(condition, last_position) == condition.holds_for(
        _last_event(last_position)
    )


class _Always(WriteCondition):
    def holds_for(self, last_event: StoredEvent | None) -> bool:
        return True

    def describe(self) -> str:
        return "anything at all"


def test_a_custom_condition_is_left_to_itself() -> None:
    assert holds_at_position(_Always(), 3) is False
    assert holds_at_position(_Always() | stream_exists(), 3) is False
    assert holds_at_position(_Always() & NoCondition(), None) is False
