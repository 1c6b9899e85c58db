"""``tidings export``, ``tidings import`` and ``tidings copy``: moving events between
stores and files.

The export format is JSON lines, one event per line, in sequence number order::

    {"id": "...", "name": "profile-created", "category": "profiles",
     "stream": "joe.bloggs", "position": 0, "sequence_number": 1,
     "payload": {...}, "metadata": {...}, "occurred_at": "2024-05-01T12:00:00+00:00",
     "observed_at": "...", "recorded_at": "..."}

Times are ISO 8601 in UTC. ``import`` needs ``name``, ``category`` and ``stream`` on
each line, and uses ``id``, ``payload``, ``metadata``, ``occurred_at``,
``observed_at`` and ``position`` when present; ``sequence_number`` and ``recorded_at``
are the destination's own, assigned when it commits.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import IO

import click

from tidings import (
    EventStore,
    NewEvent,
    StreamIdentifier,
    TidingsError,
    ValidationError,
)
from tidings_cli.common import (
    CommandError,
    echo_err,
    progress,
    scope_of,
    scope_options,
    silent_option,
    target,
    url_option,
    verbose_option,
)
from tidings_cli.copying import BULK_CHUNK, copy_events
from tidings_cli.loading import Digests, Loader, StreamKey, recheck
from tidings_cli.output import EventLines, write_lines
from tidings_cli.stores import URL_ENV, Target, open_for_reading, open_for_writing

__all__ = ["copy", "export", "import_", "parse_line"]

_NOT_PRESERVED = (
    "sequence numbers and recorded_at cannot be preserved by publishing: the destination "
    "assigns them when it commits"
)

_BATCH_HELP = "events per publish; each publish is one transaction per category"


def _last_sequence_number(store: EventStore) -> int:
    latest = store.log().latest()
    return latest.sequence_number if latest else 0


@click.command(short_help="write events as JSON lines")
@url_option
@scope_options
@click.option("--after", type=click.IntRange(min=0), help="only events after this sequence number")
@click.option(
    "--name", "names", multiple=True, metavar="NAME", help="only events of this name (repeatable)"
)
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8", lazy=False),
    default="-",
    help="the file to write (default: stdout)",
)
@silent_option
@verbose_option
def export(
    url: str | None,
    category: str | None,
    stream: str | None,
    after: int | None,
    names: tuple[str, ...],
    output: IO[str],
    silent: bool,
) -> None:
    """Write events as JSON lines, one event per line, in sequence number order.

    Each line has id, name, category, stream, position, sequence_number, payload,
    metadata, occurred_at, observed_at and recorded_at (ISO 8601, UTC): the format that
    `tidings import` reads back.
    """
    chosen = target(url)
    count = 0
    with open_for_reading(chosen) as store:
        scope = scope_of(store, category, stream)
        total = _last_sequence_number(store)
        with progress("exporting", total, silent=silent) as bar:
            line = EventLines()

            def lines() -> Iterator[str]:
                for event in scope.iterate(after=after, names=names or None):
                    bar.advance_to(event.sequence_number)
                    yield line(event)

            count = write_lines(lines(), output)
        output.flush()
    name = str(getattr(output, "name", "-"))
    where = "stdout" if name in ("-", "<stdout>") else name
    echo_err(f"exported {count} events from {chosen} to {where}")


_NEW_EVENT_KEYS = ("id", "name", "payload", "metadata", "occurred_at", "observed_at")
"""The keys of :meth:`tidings.NewEvent.to_dict`: what ``import`` publishes."""

_STORED_KEYS = ("category", "stream", "position", "sequence_number", "recorded_at")
"""The other keys of :meth:`tidings.StoredEvent.to_dict`: where the event was stored."""


def parse_line(text: str, line: int) -> tuple[StreamKey, NewEvent, int | None]:
    """One line of the export format (:meth:`tidings.StoredEvent.to_dict`'s shape): the
    stream, the event (through :meth:`tidings.NewEvent.from_dict`) and its position."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"line {line}: not JSON ({error.msg})") from None
    if not isinstance(data, dict):
        raise CommandError(f"line {line}: expected a JSON object, got {type(data).__name__}")
    missing = [key for key in ("name", "category", "stream") if key not in data]
    if missing:
        raise CommandError(
            f"line {line}: missing {', '.join(missing)}; each line needs at least name, "
            "category and stream (see `tidings export --help`)"
        )
    unknown = sorted(set(data) - {*_NEW_EVENT_KEYS, *_STORED_KEYS})
    if unknown:
        raise CommandError(
            f"line {line}: unknown keys {', '.join(map(repr, unknown))}; a line holds an "
            f"event as `tidings export` writes it: {', '.join((*_NEW_EVENT_KEYS, *_STORED_KEYS))}"
        )
    try:
        identifier = StreamIdentifier(data["category"], data["stream"])
        event = NewEvent.from_dict({key: data[key] for key in _NEW_EVENT_KEYS if key in data})
    except ValidationError as error:
        raise CommandError(f"line {line}: {error}") from None
    position = data.get("position")
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        position = None
    return identifier.keys, event, position


def _file_size(file: IO[str]) -> int | None:
    try:
        size = os.fstat(file.fileno()).st_size
    except (OSError, ValueError):
        return None
    return size or None


@click.command("import", short_help="publish events from JSON lines, idempotently")
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@url_option
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    default=1000,
    show_default=True,
    help=_BATCH_HELP,
)
@silent_option
@verbose_option
def import_(url: str | None, file: IO[str], batch_size: int, silent: bool) -> None:
    """Publish the events of a JSON lines FILE (default: stdin), as `tidings export`
    writes them, into the store; creates the store if needed.

    Events keep their ids, names, payloads, metadata, occurred_at and observed_at, and
    each stream its order. Running it again is safe: an event whose id the stream
    already holds is skipped, and reported. Sequence numbers and recorded_at cannot be
    preserved: the destination assigns them when it commits.
    """
    chosen = target(url)
    size = _file_size(file)
    with open_for_writing(chosen) as store:
        loader = Loader(store, batch_size)
        with progress("importing", size, silent=silent or size is None) as bar:
            read = 0
            for number, text in enumerate(file, start=1):
                read += len(text)
                bar.advance_to(read)
                if not text.strip():
                    continue
                key, event, position = parse_line(text, number)
                try:
                    loader.add(key, event, position)
                except TidingsError:
                    _report(loader, chosen, failed=True)
                    raise
            loader.flush()
    _report(loader, chosen)


def _report(loader: Loader, chosen: Target, *, failed: bool = False) -> None:
    parts = [f"imported {loader.published} events into {chosen}"]
    if loader.skipped:
        parts.append(f"skipped {loader.skipped} already stored (same ids)")
    if loader.moved:
        parts.append(
            f"{loader.moved} landed at other positions than in the file (the file did not "
            "hold whole streams)"
        )
    if failed:
        parts.append("then stopped; run it again once fixed: what was imported is skipped")
    echo_err("; ".join(parts))


@click.command(short_help="copy a whole store into another, verified")
@click.option(
    "--from",
    "--url",
    "source",
    metavar="URL",
    envvar=URL_ENV,
    help="the store to copy, opened read-only (default: $TIDINGS_URL, else sqlite:///tidings.db)",
)
@click.option(
    "--to",
    "destination",
    metavar="URL",
    required=True,
    help="the store to copy into; created if needed",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help=f"events per write, each one atomic (default: {BULK_CHUNK:,} by bulk load, "
    "1,000 by publishing)",
)
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="read both stores at the end and compare counts and checksums",
)
@silent_option
@verbose_option
def copy(
    source: str | None, destination: str, batch_size: int | None, verify: bool, silent: bool
) -> None:
    """Copy every event of one store into another, for example from SQLite to
    PostgreSQL, then verify the copy.

    Events keep their ids, names, streams, positions, payloads, metadata, occurred_at
    and observed_at. Into a destination that can bulk-load (PostgreSQL, by COPY) they
    also keep recorded_at and the exact log order; otherwise they are published, which
    keeps the log order between batches and gives them new recorded_at times. Sequence
    numbers are always the destination's own.

    Safe to interrupt and run again: it resumes, skipping what the destination already
    holds. It refuses to write to a destination stream that holds other events. At the
    end it compares the event count and a checksum of every stream on both sides (and
    of the whole log, after a bulk load), and exits with status 1 if any differ.
    """
    origin, goal = target(source), target(destination)
    if origin.url.render(hide_password=False) == goal.url.render(hide_password=False):
        raise click.UsageError("--from and --to name the same store")
    expected = Digests()
    with open_for_reading(origin) as src, open_for_writing(goal) as dst:
        total = _last_sequence_number(src)
        with progress("copying", total, silent=silent) as bar:
            result = copy_events(src, dst, batch_size, expected, bar)
        how = "by bulk load" if result.bulk else "by publishing"
        echo_err(
            f"copied {result.copied} events from {origin} to {goal} {how}"
            + (f"; skipped {result.skipped} already there" if result.skipped else "")
        )
        if not verify:
            return
        found = Digests()
        with progress("verifying", _last_sequence_number(dst), silent=silent) as bar:
            for event in dst.log().iterate():
                found.add(event)
                bar.advance_to(event.sequence_number)
        raw = expected.differences(found)
        problems = list(recheck(raw, src, dst).values())
    if problems:
        shown = "; ".join(problems[:10]) + ("; ..." if len(problems) > 10 else "")
        raise CommandError(
            f"verification failed: {len(problems)} of {len(expected.streams)} streams differ "
            f"between {origin} and {goal}: {shown}"
        )
    if result.bulk and not raw and not expected.log_matches(found):
        raise CommandError(
            f"verification failed: every stream matches, but the log order of {goal} "
            f"differs from {origin}'s"
        )
    extra = len(set(found.streams) - set(expected.streams))
    note = f" (the destination also holds {extra} other streams, left alone)" if extra else ""
    events = sum(digest.events for digest in expected.streams.values())
    kept = "the log order matches too" if result.bulk else _NOT_PRESERVED
    echo_err(
        f"verified: {len(expected.streams)} streams, {events} events, counts and checksums "
        f"match{note}; {kept}."
    )
