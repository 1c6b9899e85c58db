"""The ``tidings`` command: list adapters, run the demo, read events, initialise a store."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from tidings._api.connection import URL_ENV, connect, resolve_url
from tidings._api.store import Scope
from tidings._model.events import NewEvent, StoredEvent
from tidings._model.projection import Projector
from tidings._model.state import State
from tidings._plugins.registry import default_registry
from tidings._plugins.url import make_url
from tidings.errors import TidingsError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        return int(arguments.handler(arguments))
    except TidingsError as error:
        print(f"tidings: error: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tidings", description="The tidings event store.")
    commands = parser.add_subparsers(required=True, metavar="command")

    adapters = commands.add_parser("adapters", help="list installed adapters")
    adapters.set_defaults(handler=_adapters)

    url_help = f"config string (default: ${URL_ENV}, else sqlite:///tidings.db)"
    demo = commands.add_parser("demo", help="publish the seed profile events and project them")
    demo.add_argument("--url", help=url_help)
    demo.set_defaults(handler=_demo)

    read = commands.add_parser("read", help="print events as JSON lines")
    read.add_argument("--url", help=url_help)
    read.add_argument("--category", help="read this category (the log if omitted)")
    read.add_argument("--stream", help="read this stream of --category")
    read.add_argument("--after", type=int, help="only events after this sequence number")
    read.add_argument("--limit", type=int, help="at most this many events")
    read.add_argument("--name", action="append", dest="names", help="only events of this name")
    read.set_defaults(handler=_read)

    init = commands.add_parser("init", help="create the store's schema now")
    init.add_argument("url", nargs="?", help=url_help)
    init.set_defaults(handler=_init)
    return parser


def _adapters(arguments: argparse.Namespace) -> int:
    rows = [("SCHEME", "ALIASES", "DISTRIBUTION", "VERSION", "CAPABILITIES")]
    for info in default_registry().adapters():
        try:
            capabilities = ", ".join(info.capabilities) or "-"
        except TidingsError as error:
            capabilities = f"(failed to import: {error.__cause__ or error})"
        rows.append(
            (
                f"{info.scheme}://",
                ", ".join(f"{alias}://" for alias in info.aliases) or "-",
                info.distribution or "(in-process)",
                info.version or "-",
                capabilities,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4])
    return 0


PROFILE_EVENTS: list[dict[str, Any]] = [
    {
        "name": "profile-created",
        "payload": {"name": "Joe Bloggs", "email": "joe.bloggs@example.com"},
    },
    {"name": "date-of-birth-set", "payload": {"dob": "1992-07-10"}},
]


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


def _demo(arguments: argparse.Namespace) -> int:
    url = resolve_url(arguments.url)
    with connect(url) as store:
        stream = store.stream(category="profiles", stream="joe.bloggs")
        published = stream.publish(events=[NewEvent(**fields) for fields in PROFILE_EVENTS])
        projection = _profile_projector().project(State(), stream.iterate())
        print(f"store: {make_url(url)}")
        print(
            f"published {len(published)} events; stream profiles/joe.bloggs now holds "
            f"{published[-1].position + 1} (last sequence number {published[-1].sequence_number})"
        )
        print("projected profile:")
        print(json.dumps(dict(projection.state), indent=2, ensure_ascii=False))
    return 0


def _read(arguments: argparse.Namespace) -> int:
    with connect(resolve_url(arguments.url)) as store:
        scope: Scope
        if arguments.stream is not None:
            if arguments.category is None:
                print("tidings: error: --stream needs --category", file=sys.stderr)
                return 2
            scope = store.stream(category=arguments.category, stream=arguments.stream)
        elif arguments.category is not None:
            scope = store.category(category=arguments.category)
        else:
            scope = store.log()
        events = scope.iterate(after=arguments.after, limit=arguments.limit, names=arguments.names)
        for event in events:
            print(_json_line(event))
    return 0


def _json_line(event: StoredEvent) -> str:
    return json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":"))


def _init(arguments: argparse.Namespace) -> int:
    url = resolve_url(arguments.url)
    with connect(url) as store:
        store.adapter.initialise()
    print(f"initialised {make_url(url)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
