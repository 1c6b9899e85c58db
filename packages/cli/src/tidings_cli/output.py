"""Output formats of the read-like commands: JSON lines, a JSON array, CSV or a table.

Rows are written as they come (except for a table, whose column widths need every row),
so ``tidings read | head`` prints its first lines at once and memory stays flat.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any, Literal, TypeVar

import click

from tidings import StoredEvent

__all__ = [
    "FORMATS",
    "EventLines",
    "Format",
    "cell_text",
    "choose_format",
    "format_options",
    "json_line",
    "write_lines",
    "write_rows",
]

Format = Literal["nl", "json", "csv", "table"]
FORMATS: tuple[Format, ...] = ("nl", "json", "csv", "table")

F = TypeVar("F", bound=Callable[..., Any])

_CHUNK = 1000
"""Rows joined into one write: one ``write`` call per row costs more than the JSON."""

_CELL = 60
"""The widest a table cell gets before it is cut (``…``); the full value is in --nl."""


def format_options(default: str) -> Callable[[F], F]:
    """The four mutually exclusive format flags, into one ``output_format`` argument."""
    flags = (
        ("--nl", "nl", "one JSON object per line (JSON lines)"),
        ("--json", "json", "one JSON array"),
        ("--csv", "csv", "CSV with a header row; nested values as JSON"),
        ("--table", "table", "a table for people to read"),
    )

    def decorate(function: F) -> F:
        for flag, value, text in reversed(flags):
            suffix = " [default]" if value == default else ""
            function = click.option(
                flag, "output_format", flag_value=value, default=None, help=text + suffix
            )(function)
        return function

    return decorate


def choose_format(chosen: str | None, default: str) -> Format:
    """The chosen format, else ``default``; ``"auto"`` is a table on a terminal and JSON
    lines in a pipe or file, so a script never has to parse a table."""
    name = chosen or default
    if name == "auto":
        name = "table" if sys.stdout.isatty() else "nl"
    for known in FORMATS:
        if name == known:
            return known
    raise AssertionError(f"unknown output format {name!r}")


def json_line(row: Mapping[str, Any]) -> str:
    """One row as compact JSON, keeping non-ASCII text readable."""
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def write_rows(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], output_format: Format
) -> int:
    """Write ``rows`` to stdout in ``output_format``; return how many were written."""
    writer = {"nl": _nl, "json": _json, "csv": _csv, "table": _table}[output_format]
    return writer(rows, columns)


def write_lines(lines: Iterable[str], out: IO[str] | None = None) -> int:
    """Write ``lines`` (without their newlines) to ``out`` (stdout), a chunk at a time;
    return how many were written."""
    out = out or sys.stdout
    count = 0
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= _CHUNK:
            out.write("\n".join(chunk) + "\n")
            count += len(chunk)
            chunk.clear()
    if chunk:
        out.write("\n".join(chunk) + "\n")
        count += len(chunk)
    return count


def _nl(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> int:
    out = sys.stdout
    count = 0
    chunk: list[str] = []
    for row in rows:
        chunk.append(json_line(row))
        count += 1
        if len(chunk) >= _CHUNK:
            out.write("\n".join(chunk) + "\n")
            chunk.clear()
    if chunk:
        out.write("\n".join(chunk) + "\n")
    return count


def _json(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> int:
    out = sys.stdout
    count = 0
    for row in rows:
        out.write(("[" if count == 0 else ",\n ") + json_line(row))
        count += 1
    out.write("]\n" if count else "[]\n")
    return count


def cell_text(value: Any) -> str:
    """A value as one CSV or table cell: nested values as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list | bool):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> int:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([cell_text(row.get(column)) for column in columns])
        count += 1
    return count


def _table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> int:
    def cut(text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= _CELL else text[: _CELL - 1] + "…"

    cells = [[column.upper() for column in columns]]
    cells.extend([cut(cell_text(row.get(column))) for column in columns] for row in rows)
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        padded = [cell.ljust(width) for cell, width in zip(line[:-1], widths)]
        sys.stdout.write("  ".join([*padded, line[-1]]).rstrip() + "\n")
    return len(cells) - 1


_ESCAPE = re.compile(r'["\\\x00-\x1f]')
"""Characters a JSON string must escape; text without them is quoted as it is."""

_NAMES_KEPT = 100_000
"""Quoted category and stream names remembered; the cache starts over past this."""


class EventLines:
    """Events as JSON lines, in the shape of :meth:`tidings.StoredEvent.to_dict`, at the
    speed of a row dump: the payload and metadata go out as the JSON text the store
    holds (never decoded), category and stream names are quoted once, and a time equal
    to the one before it (a publish's ``recorded_at``, ``observed_at`` that is also
    ``occurred_at``) is formatted once. ``json.loads`` of a line equals ``to_dict()``.
    """

    __slots__ = ("_names", "_times")

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._times: list[Any] = [None, "", None, "", None, ""]

    def _name(self, text: str) -> str:
        quoted = self._names.get(text)
        if quoted is None:
            if len(self._names) >= _NAMES_KEPT:
                self._names.clear()
            quoted = self._names[text] = _quote(text)
        return quoted

    def __call__(self, event: StoredEvent) -> str:
        times = self._times
        occurred, observed, recorded = event.occurred_at, event.observed_at, event.recorded_at
        if occurred != times[0]:
            times[0], times[1] = occurred, occurred.isoformat()
        if observed != times[2]:
            times[2] = observed
            times[3] = times[1] if observed == occurred else observed.isoformat()
        if recorded != times[4]:
            times[4], times[5] = recorded, recorded.isoformat()
        return (
            f'{{"id":{_quote(event.id)},"name":{self._name(event.name)},'
            f'"category":{self._name(event.category)},"stream":{self._name(event.stream)},'
            f'"position":{event.position},"sequence_number":{event.sequence_number},'
            f'"payload":{event.payload_json},"metadata":{event.metadata_json},'
            f'"occurred_at":"{times[1]}","observed_at":"{times[3]}",'
            f'"recorded_at":"{times[5]}"}}'
        )


def _quote(text: str) -> str:
    if _ESCAPE.search(text) is None:
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)
