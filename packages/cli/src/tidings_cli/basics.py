"""``tidings adapters``, ``tidings demo`` and ``tidings init``."""

from __future__ import annotations

import json
from typing import Any

import click

from tidings import NewEvent, Projector, State, TidingsError, list_adapters
from tidings_cli.common import target, url_option, verbose_option
from tidings_cli.output import choose_format, format_options, write_rows
from tidings_cli.stores import open_for_writing

__all__ = ["PROFILE_EVENTS", "adapters", "demo", "init"]


@click.command(short_help="list the installed adapters and their capabilities")
@format_options(default="table")
@verbose_option
def adapters(output_format: str | None) -> None:
    """List the installed adapters: schemes, distributions and capabilities."""
    rows: list[dict[str, Any]] = []
    for info in list_adapters():
        try:
            capabilities = ", ".join(info.capabilities) or "-"
        except TidingsError as error:
            capabilities = f"(failed to import: {error.__cause__ or error})"
        rows.append(
            {
                "scheme": f"{info.scheme}://",
                "aliases": ", ".join(f"{alias}://" for alias in info.aliases) or "-",
                "distribution": info.distribution or "(in-process)",
                "version": info.version or "-",
                "capabilities": capabilities,
            }
        )
    columns = ["scheme", "aliases", "distribution", "version", "capabilities"]
    write_rows(rows, columns, choose_format(output_format, "table"))


PROFILE_EVENTS: list[dict[str, Any]] = [
    {
        "name": "profile-created",
        "payload": {"name": "Joe Bloggs", "email": "joe.bloggs@example.com"},
    },
    {"name": "date-of-birth-set", "payload": {"dob": "1992-07-10"}},
]
"""What ``tidings demo`` publishes, on every run."""


def _profile_projector() -> Projector:
    return Projector(
        name="profile",
        handlers={
            "profile-created": lambda state, event: state.merge(
                {"name": event.payload["name"], "email": event.payload["email"]}
            ),
            "date-of-birth-set": lambda state, event: state.merge({"dob": event.payload["dob"]}),
        },
    )


@click.command(short_help="publish two events and print their projection")
@url_option
@verbose_option
def demo(url: str | None) -> None:
    """Publish two profile events and print their projection.

    Run it twice: the stream grows from 2 to 4 events, because the store kept them.
    """
    chosen = target(url)
    with open_for_writing(chosen) as store:
        stream = store.stream(category="profiles", stream="joe.bloggs")
        published = stream.publish(events=[NewEvent(**fields) for fields in PROFILE_EVENTS])
        projection = _profile_projector().project(State(), stream.iterate())
        click.echo(f"store: {chosen}")
        click.echo(
            f"published {len(published)} events; stream profiles/joe.bloggs now holds "
            f"{published[-1].position + 1} (last sequence number {published[-1].sequence_number})"
        )
        click.echo("projected profile:")
        click.echo(json.dumps(dict(projection.state), indent=2, ensure_ascii=False))


@click.command(short_help="create (or upgrade) the store's schema")
@url_option
@verbose_option
def init(url: str | None) -> None:
    """Create the store's schema now, or upgrade an older one. Idempotent."""
    chosen = target(url)
    with open_for_writing(chosen) as store:
        store.adapter.initialise()
    click.echo(f"initialised {chosen}")
