from __future__ import annotations

import pytest

from tidings import NoCondition, position_is, stream_exists, stream_is_empty
from tidings._model.conditions import AllOf, AnyOf


def test_composition_flattens_into_one_level() -> None:
    condition = position_is(1) & stream_exists() & NoCondition()
    assert isinstance(condition, AllOf)
    assert len(condition.conditions) == 3
    either = stream_is_empty() | position_is(0) | position_is(1)
    assert isinstance(either, AnyOf)
    assert len(either.conditions) == 3


def test_composed_conditions_describe_themselves() -> None:
    assert "or" in (stream_is_empty() | position_is(2)).describe()
    assert "last position 2" in (stream_exists() & position_is(2)).describe()


def test_only_conditions_compose() -> None:
    with pytest.raises(TypeError, match="compose"):
        _ = stream_exists() & 3  # type: ignore[operator]


def test_built_in_conditions_are_values() -> None:
    assert position_is(3) == position_is(3)
    assert stream_is_empty() == stream_is_empty()
    assert hash(position_is(None)) == hash(position_is(None))
