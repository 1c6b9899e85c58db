"""``tidings show`` (one event) and ``tidings stats`` (the store in figures). Both open
their store with :func:`~tidings_cli.stores.open_for_reading`, so they change nothing."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from tidings import EventStore, StoredEvent
from tidings_cli.common import (
    CommandError,
    progress,
    silent_option,
    target,
    url_option,
    verbose_option,
)
from tidings_cli.output import cell_text, choose_format, json_line
from tidings_cli.stores import Target, open_for_reading

__all__ = ["STATS_FIELDS", "gather_stats", "show", "stats"]


def _find(store: EventStore, which: str, silent: bool) -> StoredEvent | None:
    """The event with sequence number ``which`` (digits), else with id ``which``: read
    from the log, since ids are not indexed for lookup by every adapter."""
    if which.isdigit():
        number = int(which)
        if number == 0:
            return None
        found = list(store.log().iterate(after=number - 1, limit=1))
        return found[0] if found and found[0].sequence_number == number else None
    last = store.log().latest()
    with progress("searching", last.sequence_number if last else 0, silent=silent) as bar:
        for event in store.log().iterate():
            if event.id == which:
                return event
            bar.advance_to(event.sequence_number)
    return None


@click.command(short_help="print one event, by sequence number or id")
@click.argument("which", metavar="SEQUENCE_NUMBER|ID")
@url_option
@click.option("--nl", "compact", is_flag=True, help="one line of JSON, even on a terminal")
@silent_option
@verbose_option
def show(which: str, url: str | None, compact: bool, silent: bool) -> None:
    """Print one event, found by its sequence number (digits) or else by its id.

    Indented JSON on a terminal, one line of JSON in a pipe or with --nl. Finding an
    event by id reads the log up to it.
    """
    chosen = target(url)
    with open_for_reading(chosen) as store:
        event = _find(store, which, silent)
    if event is None:
        kind = "sequence number" if which.isdigit() else "id"
        raise CommandError(f"no event with {kind} {which} in {chosen}")
    row = event.to_dict()
    if compact or not sys.stdout.isatty():
        click.echo(json_line(row))
    else:
        click.echo(json.dumps(row, indent=2, ensure_ascii=False))


STATS_FIELDS = (
    "url",
    "adapter",
    "events",
    "streams",
    "categories",
    "first_recorded_at",
    "last_recorded_at",
    "size_bytes",
    "schema_version",
)
"""The figures of ``tidings stats``, in order."""


def gather_stats(store: EventStore, chosen: Target, silent: bool) -> dict[str, Any]:
    """The figures the adapter knows (``statistics()``), and the counts it does not know
    from one pass over the events."""
    known = store.adapter.statistics()
    counts = (known.events, known.streams, known.categories)
    if None in counts:
        streams: set[tuple[str, str]] = set()
        events = 0
        last = store.log().latest()
        with progress("counting", last.sequence_number if last else 0, silent=silent) as bar:
            for event in store.log().iterate():
                events += 1
                streams.add((event.category, event.stream))
                bar.advance_to(event.sequence_number)
        counts = (events, len(streams), len({category for category, _ in streams}))
    first = next(iter(store.log().iterate(limit=1)), None)
    last = store.log().latest()
    return {
        "url": str(chosen),
        "adapter": type(store.adapter).__name__,
        "events": counts[0],
        "streams": counts[1],
        "categories": counts[2],
        "first_recorded_at": first.recorded_at.isoformat() if first else None,
        "last_recorded_at": last.recorded_at.isoformat() if last else None,
        "size_bytes": known.size_bytes,
        "schema_version": known.schema_version,
    }


@click.command(short_help="print the store's figures: counts, times, size, schema")
@url_option
@click.option("--json", "as_json", is_flag=True, help="one JSON object, even on a terminal")
@click.option("--table", "as_table", is_flag=True, help="one figure per line, even in a pipe")
@silent_option
@verbose_option
def stats(url: str | None, as_json: bool, as_table: bool, silent: bool) -> None:
    """Print the numbers of events, streams and categories, the first and last recorded
    times, the size on disk where the backend knows it, and the schema version.

    One figure per line on a terminal, one JSON object in a pipe. Adapters that cannot
    count cheaply are counted by reading every event once.
    """
    if as_json and as_table:
        raise click.UsageError("--json and --table exclude each other")
    chosen = target(url)
    with open_for_reading(chosen) as store:
        figures = gather_stats(store, chosen, silent)
    output_format = "nl" if as_json else "table" if as_table else choose_format(None, "auto")
    if output_format != "table":
        click.echo(json_line(figures))
        return
    width = max(map(len, STATS_FIELDS))
    for name in STATS_FIELDS:
        value = figures[name]
        shown = "-" if value is None else cell_text(value)
        if name == "size_bytes" and isinstance(value, int):
            shown = _size(value)
        click.echo(f"{name.ljust(width)}  {shown}")


def _size(value: int) -> str:
    """Bytes for people: ``2.4 MiB (2,516,582 B)``."""
    size, unit = float(value), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            break
        size /= 1024
    return f"{value:,} B" if unit == "B" else f"{size:.1f} {unit} ({value:,} B)"
