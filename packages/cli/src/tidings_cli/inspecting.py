"""The commands that look without touching: ``read``, ``streams``, ``categories`` and
``tail``. Each opens its store with :func:`~tidings_cli.stores.open_for_reading`."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import click

from tidings import Checkpoint, EventStore, StoredEvent, ValidationError
from tidings_cli.common import (
    echo_err,
    progress,
    scope_of,
    scope_options,
    silent_option,
    target,
    url_option,
    verbose_option,
)
from tidings_cli.output import (
    EventLines,
    cell_text,
    choose_format,
    format_options,
    write_lines,
    write_rows,
)
from tidings_cli.stores import open_for_reading

__all__ = ["EVENT_COLUMNS", "categories", "event_row", "read", "streams", "tail"]

EVENT_COLUMNS = (
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
)
"""The fields of an event in every output, in this order; see ``tidings export``."""


def event_row(event: StoredEvent) -> dict[str, Any]:
    """An event in the documented shape: its fields, with times in ISO 8601."""
    return event.to_dict()


@click.command(short_help="print events (JSON lines by default)")
@url_option
@scope_options
@click.option("--after", type=click.IntRange(min=0), help="only events after this sequence number")
@click.option("--limit", type=click.IntRange(min=0), help="at most this many events")
@click.option(
    "--name", "names", multiple=True, metavar="NAME", help="only events of this name (repeatable)"
)
@format_options(default="nl")
@verbose_option
def read(
    url: str | None,
    category: str | None,
    stream: str | None,
    after: int | None,
    limit: int | None,
    names: tuple[str, ...],
    output_format: str | None,
) -> None:
    """Print the events of the log, a category or a stream, in sequence number order."""
    with open_for_reading(target(url)) as store:
        scope = scope_of(store, category, stream)
        events = scope.iterate(after=after, limit=limit, names=names or None)
        chosen = choose_format(output_format, "nl")
        if chosen == "nl":
            write_lines(map(EventLines(), events))
        else:
            write_rows(map(event_row, events), EVENT_COLUMNS, chosen)


@dataclass(slots=True)
class _Tally:
    """Counts and times of one stream or category, from one pass over the events."""

    events: int = 0
    first_at: str | None = None
    last_at: str | None = None
    streams: int = 0

    def add(self, event: StoredEvent) -> None:
        self.events += 1
        recorded = event.recorded_at.isoformat()
        if self.first_at is None:
            self.first_at = recorded
        self.last_at = recorded


def _scan(store: EventStore, category: str | None, silent: bool) -> Iterator[StoredEvent]:
    """Every event of the log (or a category), with a progress bar by sequence number."""
    scope = scope_of(store, category, None)
    last = store.log().latest()
    with progress("reading", last.sequence_number if last else 0, silent=silent) as bar:
        for event in scope.iterate():
            bar.advance_to(event.sequence_number)
            yield event


@click.command(short_help="list streams with their event counts")
@url_option
@click.option("--category", metavar="CATEGORY", help="only the streams of this category")
@format_options(default="auto")
@silent_option
@verbose_option
def streams(url: str | None, category: str | None, output_format: str | None, silent: bool) -> None:
    """List the streams with their event counts and first and last recorded times.

    Reads every event once. Output is a table on a terminal, JSON lines otherwise.
    """
    tallies: dict[tuple[str, str], _Tally] = {}
    with open_for_reading(target(url)) as store:
        for event in _scan(store, category, silent):
            key = (event.category, event.stream)
            tally = tallies.get(key)
            if tally is None:
                tally = tallies[key] = _Tally()
            tally.add(event)
    rows = (
        {
            "category": category_name,
            "stream": stream_name,
            "events": tally.events,
            "first_recorded_at": tally.first_at,
            "last_recorded_at": tally.last_at,
        }
        for (category_name, stream_name), tally in sorted(tallies.items())
    )
    columns = ["category", "stream", "events", "first_recorded_at", "last_recorded_at"]
    write_rows(rows, columns, choose_format(output_format, "auto"))


@click.command(short_help="list categories with their stream and event counts")
@url_option
@format_options(default="auto")
@silent_option
@verbose_option
def categories(url: str | None, output_format: str | None, silent: bool) -> None:
    """List the categories with their stream and event counts and first and last
    recorded times.

    Reads every event once. Output is a table on a terminal, JSON lines otherwise.
    """
    tallies: dict[str, _Tally] = {}
    seen: set[tuple[str, str]] = set()
    with open_for_reading(target(url)) as store:
        for event in _scan(store, None, silent):
            tally = tallies.get(event.category)
            if tally is None:
                tally = tallies[event.category] = _Tally()
            tally.add(event)
            key = (event.category, event.stream)
            if key not in seen:
                seen.add(key)
                tally.streams += 1
    rows = (
        {
            "category": name,
            "streams": tally.streams,
            "events": tally.events,
            "first_recorded_at": tally.first_at,
            "last_recorded_at": tally.last_at,
        }
        for name, tally in sorted(tallies.items())
    )
    columns = ["category", "streams", "events", "first_recorded_at", "last_recorded_at"]
    write_rows(rows, columns, choose_format(output_format, "auto"))


def _start(context: click.Context, parameter: click.Parameter, value: str) -> str | Checkpoint:
    """``beginning``, ``end`` or a checkpoint; anything else is a usage error."""
    if value in ("beginning", "end"):
        return value
    try:
        return Checkpoint.parse(value)
    except ValidationError:
        raise click.BadParameter(
            f"{value!r} is not 'beginning', 'end' or a checkpoint such as 42 or 1234:42 "
            "(tail prints the checkpoint to resume from when it stops)"
        ) from None


@click.command(short_help="follow new events live (Ctrl-C stops)")
@url_option
@scope_options
@click.option(
    "--start",
    default="end",
    show_default=True,
    metavar="beginning|end|CHECKPOINT",
    callback=_start,
    help="where to start: the first event, after the last one, or after a checkpoint",
)
@click.option(
    "--name", "names", multiple=True, metavar="NAME", help="only events of this name (repeatable)"
)
@click.option(
    "--until-caught-up",
    is_flag=True,
    help="stop when no event is left, instead of waiting for new ones",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0, min_open=True, max=3600),
    default=1.0,
    show_default=True,
    help="the longest wait, in seconds, before looking for new events again",
)
@click.option("--csv", "as_csv", is_flag=True, help="CSV instead of JSON lines")
@verbose_option
def tail(
    url: str | None,
    category: str | None,
    stream: str | None,
    start: str | Checkpoint,
    names: tuple[str, ...],
    until_caught_up: bool,
    poll_interval: float,
    as_csv: bool,
) -> None:
    """Follow the log, a category or a stream: print events as they are committed.

    One JSON object per line (or CSV), flushed as each event arrives. Stop with Ctrl-C;
    the checkpoint to resume from (--start CHECKPOINT) is then printed on stderr.
    """
    with open_for_reading(target(url)) as store:
        scope = scope_of(store, category, stream)
        subscription = scope.subscribe(
            start=start,
            names=names or None,
            poll_interval=poll_interval,
            until_caught_up=until_caught_up,
        )
        try:
            with subscription:
                _follow(subscription, as_csv)
        finally:
            checkpoint = subscription.checkpoint
            if checkpoint is not None:
                echo_err(f"checkpoint: {checkpoint} (resume with --start {checkpoint})")


def _follow(events: Iterable[StoredEvent], as_csv: bool) -> None:
    out = sys.stdout
    if as_csv:
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EVENT_COLUMNS)
        for event in events:
            row = event_row(event)
            writer.writerow([cell_text(row[column]) for column in EVENT_COLUMNS])
            out.flush()
        return
    line = EventLines()
    for event in events:
        out.write(line(event) + "\n")
        out.flush()
