"""``read``, ``streams``, ``categories`` and ``tail``, and the output formats."""

from __future__ import annotations

import csv
import io
import json

import pytest

import tidings
from tidings import NewEvent

from .conftest import Invoke, fill

EVENT_KEYS = [
    "id",
    "name",
    "category",
    "stream",
    "position",
    "sequence_number",
    "payload",
    "metadata",
    "occurred_at",
    "observed_at",
    "recorded_at",
]


@pytest.fixture
def url(sqlite_url: str) -> str:
    fill(sqlite_url, streams=3, events=4)  # 12 events in orders/s0..s2
    fill(sqlite_url, streams=1, events=2, category="users")
    return sqlite_url


def test_read_prints_json_lines_by_default(invoke: Invoke, url: str) -> None:
    result = invoke("read", "--url", url)
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 14
    assert list(rows[0]) == EVENT_KEYS
    assert [row["sequence_number"] for row in rows] == list(range(1, 15))
    assert rows[0]["payload"] == {"n": 0, "stream": 0, "nested": {"b": 1, "a": [1.5]}}


def test_read_filters_by_scope_name_after_and_limit(invoke: Invoke, url: str) -> None:
    def names(*args: str) -> list[tuple[str, int]]:
        lines = invoke("read", "--url", url, *args).stdout.splitlines()
        return [(row["stream"], row["position"]) for row in map(json.loads, lines)]

    assert names("--category", "orders", "--stream", "s1") == [("s1", p) for p in range(4)]
    assert len(names("--category", "users")) == 2
    assert names("--category", "orders", "--name", "placed") == [("s0", 0), ("s1", 0), ("s2", 0)]
    assert names("--after", "12") == [("s0", 0), ("s0", 1)]
    assert names("--limit", "2") == [("s0", 0), ("s1", 0)]


def test_read_as_a_json_array(invoke: Invoke, url: str) -> None:
    rows = json.loads(invoke("read", "--url", url, "--json").stdout)
    assert len(rows) == 14
    assert json.loads(invoke("read", "--url", url, "--json", "--category", "none").stdout) == []


def test_read_as_csv_keeps_nested_values_as_json(invoke: Invoke, url: str) -> None:
    rows = list(csv.DictReader(io.StringIO(invoke("read", "--url", url, "--csv").stdout)))
    assert len(rows) == 14
    assert list(rows[0]) == EVENT_KEYS
    assert json.loads(rows[0]["payload"])["nested"] == {"b": 1, "a": [1.5]}


def test_read_as_a_table(invoke: Invoke, url: str) -> None:
    lines = invoke("read", "--url", url, "--table", "--limit", "3").stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "NAME", "CATEGORY", "STREAM"]
    assert len(lines) == 4
    assert lines[1].split()[1:4] == ["placed", "orders", "s0"]


def test_the_last_format_flag_wins(invoke: Invoke, url: str) -> None:
    result = invoke("read", "--url", url, "--table", "--csv", "--limit", "1")
    assert result.stdout.startswith("id,name,")


def test_streams_lists_counts_and_times(invoke: Invoke, url: str) -> None:
    result = invoke("streams", "--url", url)  # not a terminal: JSON lines
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["category"], r["stream"], r["events"]) for r in rows] == [
        ("orders", "s0", 4),
        ("orders", "s1", 4),
        ("orders", "s2", 4),
        ("users", "s0", 2),
    ]
    assert rows[0]["first_recorded_at"] <= rows[0]["last_recorded_at"]
    only = invoke("streams", "--url", url, "--category", "users", "--nl").stdout.splitlines()
    assert [json.loads(line)["stream"] for line in only] == ["s0"]
    table = invoke("streams", "--url", url, "--table").stdout.splitlines()
    assert table[0].split() == [
        "CATEGORY",
        "STREAM",
        "EVENTS",
        "FIRST_RECORDED_AT",
        "LAST_RECORDED_AT",
    ]
    assert table[1].split()[:3] == ["orders", "s0", "4"]


def test_categories_lists_streams_and_events(invoke: Invoke, url: str) -> None:
    rows = list(csv.DictReader(io.StringIO(invoke("categories", "--url", url, "--csv").stdout)))
    assert [(r["category"], r["streams"], r["events"]) for r in rows] == [
        ("orders", "3", "12"),
        ("users", "1", "2"),
    ]


def test_an_empty_store_lists_nothing(invoke: Invoke, sqlite_url: str) -> None:
    assert invoke("init", "--url", sqlite_url).exit_code == 0
    assert invoke("streams", "--url", sqlite_url).stdout == ""
    assert invoke("categories", "--url", sqlite_url, "--json").stdout == "[]\n"


def test_tail_from_the_beginning_until_caught_up(invoke: Invoke, url: str) -> None:
    result = invoke("tail", "--url", url, "--start", "beginning", "--until-caught-up")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 14
    assert "checkpoint: 14 (resume with --start 14)" in result.stderr


def test_tail_resumes_after_a_checkpoint(invoke: Invoke, url: str) -> None:
    result = invoke("tail", "--url", url, "--start", "12", "--until-caught-up")
    assert [json.loads(line)["sequence_number"] for line in result.stdout.splitlines()] == [13, 14]
    stream = invoke(
        "tail",
        "--url",
        url,
        "--category",
        "orders",
        "--stream",
        "s2",
        "--start",
        "beginning",
        "--name",
        "changed",
        "--until-caught-up",
        "--csv",
    )
    rows = list(csv.DictReader(io.StringIO(stream.stdout)))
    assert [(r["stream"], r["position"]) for r in rows] == [("s2", "1"), ("s2", "2"), ("s2", "3")]


def test_tail_from_the_end_prints_only_new_events(invoke: Invoke, url: str) -> None:
    result = invoke("tail", "--url", url, "--start", "end", "--until-caught-up")
    assert result.exit_code == 0
    assert result.stdout == ""
    with tidings.connect(url) as store:
        store.stream(category="users", stream="new").publish(events=[NewEvent(name="joined")])
    after = invoke("tail", "--url", url, "--start", "14", "--until-caught-up")
    assert [json.loads(line)["name"] for line in after.stdout.splitlines()] == ["joined"]


def test_tail_refuses_a_bad_start_as_a_usage_error(invoke: Invoke, url: str) -> None:
    result = invoke("tail", "--url", url, "--start", "yesterday")
    assert result.exit_code == 2
    assert "'yesterday' is not 'beginning', 'end' or a checkpoint" in result.stderr


def test_event_lines_equal_to_dict_for_awkward_text(sqlite_url: str) -> None:
    """The fast JSON lines (text spliced, not encoded) decode to exactly ``to_dict()``."""
    from datetime import UTC, datetime, timedelta

    from tidings_cli.output import EventLines

    moment = datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    with tidings.connect(sqlite_url) as store:
        for number, (category, stream) in enumerate(
            [('quo"te', "back\\slash"), ("tab\tand\nnewline", "ünï ✓ \u2028"), ("a", "b")]
        ):
            store.stream(category=category, stream=stream).publish(
                events=[
                    NewEvent(
                        id=f'id-"{number}"\\',
                        name="with \x01 control",
                        payload={"f": 0.1, "big": 2**62, "e": 1e16, "s": 'q"\\\n', "n": None},
                        metadata={"ü": [True, False, -0.0]},
                        occurred_at=moment,
                        observed_at=moment + timedelta(microseconds=number),
                    ),
                    NewEvent(name="plain", occurred_at=moment, observed_at=moment),
                ]
            )
        events = store.log().read()
    line = EventLines()
    for event in events:
        assert json.loads(line(event)) == event.to_dict()
