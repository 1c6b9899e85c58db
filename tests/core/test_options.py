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
