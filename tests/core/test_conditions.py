from __future__ import annotations

import enum

import pytest

from tidings import (
    LogIdentifier,
    NoCondition,
    ValidationError,
    position_is,
    stream_exists,
    stream_is_empty,
)
from tidings._api.arguments import scan_request
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


@pytest.mark.parametrize("position", [2**63, 2**64, 10**5000], ids=["2**63", "2**64", "10**5000"])
def test_a_position_beyond_64_bits_is_a_validation_error(position: int) -> None:
    with pytest.raises(ValidationError, match=r"at most 2\*\*63 - 1") as raised:
        position_is(position)
    assert raised.value.field == "position"


def test_the_largest_position_is_accepted_and_int_subclasses_become_ints() -> None:
    assert position_is(2**63 - 1).position == 2**63 - 1

    class Small(enum.IntEnum):
        THREE = 3

    condition = position_is(Small.THREE)
    assert type(condition.position) is int
    assert condition == position_is(3)


@pytest.mark.parametrize(
    "position", [-1, -(10**5000), 1.0, "1", True], ids=["-1", "-10**5000", "1.0", "str", "True"]
)
def test_other_bad_positions_are_validation_errors(position: object) -> None:
    with pytest.raises(ValidationError, match="position") as raised:
        position_is(position)  # type: ignore[arg-type]
    assert len(str(raised.value)) < 200


@pytest.mark.parametrize("field", ["after", "limit"])
@pytest.mark.parametrize(
    "value", [2**63, 2**64, 10**5000, -(10**5000)], ids=["2**63", "2**64", "10**5000", "-10**5000"]
)
def test_scan_counts_beyond_64_bits_are_validation_errors(field: str, value: int) -> None:
    with pytest.raises(ValidationError) as raised:
        scan_request(LogIdentifier(), **{"after": None, "limit": None, field: value}, names=None)
    assert raised.value.field == field


def test_scan_counts_become_plain_ints() -> None:
    request = scan_request(LogIdentifier(), after=True + 1, limit=2**63 - 1, names=None)
    assert (request.after, request.limit) == (2, 2**63 - 1)


@pytest.mark.parametrize("names", [5, "name", b"name", 3.5])
def test_names_that_are_not_a_collection_are_validation_errors(names: object) -> None:
    with pytest.raises(ValidationError, match="collection of names") as raised:
        scan_request(LogIdentifier(), after=None, limit=None, names=names)  # type: ignore[arg-type]
    assert raised.value.field == "names"
