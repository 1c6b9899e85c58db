"""The typed array parameters reach the server exactly as psycopg's own list dumper sends them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest

from tidings_postgres.arrays import ADAPTERS, Bigints, Booleans, Integers, Texts, Timestamps

_MOMENT = datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC)
CASES = [
    (Texts, "text[]", ["", "é", "a\\b", '"{},', "NULL", "😀" * 3]),
    (Booleans, "boolean[]", [True, False, True]),
    (Bigints, "bigint[]", [0, -1, 2**63 - 1, -(2**63)]),
    (Integers, "integer[]", [0, -1, 2**31 - 1, -(2**31)]),
    (Timestamps, "timestamptz[]", [_MOMENT, _MOMENT.astimezone(timezone(timedelta(hours=-5)))]),
]


@pytest.mark.parametrize(("kind", "sql_type", "values"), CASES)
@pytest.mark.parametrize("count", [0, 1, None])
def test_typed_arrays_round_trip(
    postgres_url: str,
    kind: type[list[object]],
    sql_type: str,
    values: list[object],
    count: int | None,
) -> None:
    chosen = values[:count] if count is not None else values
    with psycopg.connect(postgres_url, context=ADAPTERS) as conn:
        typed, generic, same = conn.execute(
            f"SELECT %b::{sql_type}, %b::{sql_type},"
            f" %b::{sql_type} IS NOT DISTINCT FROM %b::{sql_type}",
            [kind(chosen), list(chosen), kind(chosen), list(chosen)],
        ).fetchone() or (None, None, None)
    assert typed == generic == chosen
    assert same is True
