"""The reference adapter's own refusals (its behaviour is the conformance suite's)."""

from __future__ import annotations

import pytest

import tidings
from tidings import ConfigurationError


@pytest.mark.parametrize(
    "url", ["memory://name/path", "memory://user:/Secret123@host", "memory://h:1"]
)
def test_a_memory_config_string_with_more_than_a_name_is_refused_without_quoting_it(
    url: str,
) -> None:
    with pytest.raises(ConfigurationError, match=r"memory://name|percent-encoded") as raised:
        tidings.connect(url)
    assert "Secret123" not in str(raised.value)


@pytest.mark.parametrize("page_size", [0, -1, 1_000_001, 2**63])
def test_page_size_is_bounded(page_size: int) -> None:
    with pytest.raises(ConfigurationError, match="page_size"):
        tidings.connect("memory://", page_size=page_size)
