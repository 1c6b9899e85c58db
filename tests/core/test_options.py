from __future__ import annotations

from dataclasses import dataclass

import pytest

from tidings import ConfigurationError, Ordering, UnknownOptionError
from tidings._protocol.options import build_options


@dataclass(frozen=True)
class Options:
    size: int = 1
    ratio: float = 0.5
    flag: bool = False
    name: str = "x"
    ordering: Ordering = Ordering.LOG
    limit: int | None = None


def test_query_values_are_converted_by_type() -> None:
    options = build_options(
        Options,
        "demo",
        {"size": "3", "ratio": "2", "flag": "yes", "ordering": "CATEGORY", "limit": "none"},
        {},
    )
    assert options == Options(size=3, ratio=2.0, flag=True, ordering=Ordering.CATEGORY)


def test_keyword_overrides_win_over_query_values() -> None:
    options = build_options(Options, "demo", {"size": "3"}, {"size": 7, "limit": 4})
    assert (options.size, options.limit) == (7, 4)


def test_an_unknown_option_lists_the_accepted_ones() -> None:
    with pytest.raises(UnknownOptionError) as raised:
        build_options(Options, "demo", {"bogus": "1"}, {})
    message = str(raised.value)
    assert "bogus" in message
    for name in ("size", "ratio", "flag", "name", "ordering", "limit"):
        assert name in message


@pytest.mark.parametrize(
    ("query", "overrides", "message"),
    [
        ({"size": "big"}, {}, "'size'.*int"),
        ({"flag": "maybe"}, {}, "'flag'.*bool"),
        ({"ordering": "galaxy"}, {}, "'ordering'.*'log'"),
        ({}, {"size": True}, "'size'"),
        ({}, {"name": 3}, "'name'.*str"),
    ],
)
def test_a_badly_typed_option_names_the_option_and_the_type(
    query: dict[str, str], overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build_options(Options, "demo", query, overrides)


@dataclass(frozen=True)
class Timeouts:
    timeout: float = 1.0
    optional: float | None = None
    count: int = 1


@pytest.mark.parametrize(
    ("query", "overrides", "message"),
    [
        ({"timeout": "nan"}, {}, "'timeout'.*a finite float, got 'nan'"),
        ({"timeout": "inf"}, {}, "'timeout'.*finite"),
        ({"timeout": "-inf"}, {}, "'timeout'.*finite"),
        ({"timeout": "1e999"}, {}, "'timeout'.*finite"),
        ({}, {"timeout": float("nan")}, "'timeout'.*finite"),
        ({}, {"timeout": 10**400}, "'timeout'.*finite"),
        ({}, {"timeout": 10**5000}, "'timeout'.*too long to show"),
        ({"optional": "nan"}, {}, "'optional'.*finite float or none"),
        ({"count": str(2**63)}, {}, r"'count'.*an int in -2\*\*63..2\*\*63-1"),
        ({"count": "9" * 5000}, {}, "'count'"),
        ({}, {"count": -(2**63) - 1}, "'count'"),
        ({}, {"count": 10**5000}, "'count'"),
    ],
)
def test_nan_infinite_and_huge_numbers_are_configuration_errors(
    query: dict[str, str], overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message) as raised:
        build_options(Timeouts, "demo", query, overrides)
    assert len(str(raised.value)) < 300


def test_the_64_bit_bounds_and_large_finite_floats_are_accepted() -> None:
    options = build_options(Timeouts, "demo", {"count": str(2**63 - 1), "timeout": "1e300"}, {})
    assert (options.count, options.timeout) == (2**63 - 1, 1e300)
    assert build_options(Timeouts, "demo", {}, {"count": -(2**63)}).count == -(2**63)


@dataclass(frozen=True)
class Checked:
    size: float = 1.0

    def __post_init__(self) -> None:
        if self.size > 1e10:
            raise OverflowError("too big for the driver")


def test_an_arithmetic_error_in_an_options_type_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="too big for the driver"):
        build_options(Checked, "demo", {"size": "1e300"}, {})


@pytest.mark.parametrize("name", ["pa?ss@host:1/db", "Pw123@host", "user:secret", "a b", "x" * 65])
def test_an_unknown_name_that_could_not_be_an_option_is_not_shown(name: str) -> None:
    with pytest.raises(UnknownOptionError) as raised:
        build_options(Options, "demo", {name: "1"}, {})
    assert name not in str(raised.value)
    assert "not shown" in str(raised.value)
    with pytest.raises(UnknownOptionError, match="bogus_name"):
        build_options(Options, "demo", {"bogus_name": "1"}, {})
