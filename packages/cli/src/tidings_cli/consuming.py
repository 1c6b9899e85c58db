"""``tidings consume`` runs a worker; ``tidings consumers`` shows what runs and resets it.

``consume`` is :func:`tidings.run_worker` behind a command line: it imports a handler
function or a :class:`~tidings.Projector`, builds a consumer (or, with ``--group``, a
group member) and runs it until SIGTERM or SIGINT, logging JSON lines to stderr.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

import tidings
from tidings import ConsumerStatus, EventStore, JsonLogFormatter, Projector, Scope
from tidings_cli.common import target, url_option
from tidings_cli.output import choose_format, format_options, write_rows
from tidings_cli.stores import open_for_reading, open_for_writing

__all__ = ["consume", "consumers", "load_object"]


def load_object(reference: str) -> Any:
    """The object ``module:attribute`` (or ``path/to/file.py:attribute``) names."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise click.BadParameter(f"must look like module:object, got {reference!r}")
    if module_name.endswith(".py"):
        path = Path(module_name).resolve()
        sys.path.insert(0, str(path.parent))
        module_name = path.stem
    elif "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")  # as `python -m` does, so modules of the current folder load
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise click.BadParameter(f"cannot import {module_name!r}: {error}") from error
    found: Any = module
    for name in attribute.split("."):
        try:
            found = getattr(found, name)
        except AttributeError:
            raise click.BadParameter(f"{module_name!r} has no {attribute!r}") from None
    return found


def _source(store: EventStore, category: str | None) -> Scope:
    return store.category(category=category) if category else store.log()


@click.command(short_help="run a consumer or a consumer group member until stopped")
@click.argument("reference", metavar="MODULE:OBJECT")
@url_option
@click.option("--group", metavar="NAME", help="join this consumer group")
@click.option("--name", metavar="NAME", help="the consumer's name (default: the object's)")
@click.option("--category", metavar="CATEGORY", help="consume this category (default: the log)")
@click.option("--partitions", type=int, default=16, show_default=True, help="a new group's")
@click.option(
    "--ttl", type=float, default=10.0, show_default=True, help="seconds a group's lease lasts"
)
@click.option("--batch-size", type=int, default=100, show_default=True)
@click.option("--poll-interval", type=float, default=1.0, show_default=True)
@click.option("--log-level", default="INFO", show_default=True, help="DEBUG, INFO, WARNING...")
def consume(
    reference: str,
    url: str | None,
    group: str | None,
    name: str | None,
    category: str | None,
    partitions: int,
    ttl: float,
    batch_size: int,
    poll_interval: float,
    log_level: str,
) -> None:
    """Run MODULE:OBJECT as a long-running worker: a function called with each event
    (at least once), or a Projector whose projection is kept exactly once.

    Alone, it is a consumer named --name (a projector keeps one projection of the
    source). With --group, it is one member of that consumer group: run it on as many
    machines as you like; streams are shared among the members, one member at a time
    per stream, and a projector keeps one projection per stream. SIGTERM or SIGINT
    stops it after the current batch. Logs are JSON lines on stderr.

    \b
    Exit codes: 0 stopped by SIGTERM or SIGINT, all work saved; 1 the handler or
    projector failed (the checkpoint stays before the failing event); 2 bad arguments;
    3 the store failed or went away.
    """
    found = load_object(reference)
    if not isinstance(found, Projector) and not callable(found):
        raise click.BadParameter(f"{reference!r} is neither a Projector nor a function")
    _configure_logging(log_level)
    store = open_for_writing(target(url))
    try:
        worker = _worker(
            store,
            found,
            reference,
            group,
            name,
            category,
            partitions,
            ttl,
            batch_size,
            poll_interval,
        )
        code = tidings.run_worker(worker)
    finally:
        store.close()
    raise click.exceptions.Exit(code)


def _worker(
    store: EventStore,
    found: Any,
    reference: str,
    group: str | None,
    name: str | None,
    category: str | None,
    partitions: int,
    ttl: float,
    batch_size: int,
    poll_interval: float,
) -> Any:
    source = _source(store, category)
    projector = found if isinstance(found, Projector) else None
    handler = None if projector is not None else found
    if group is not None:
        return store.group_member(
            group=group,
            source=source,
            handler=handler,
            projector=projector,
            partitions=partitions,
            ttl=ttl,
            batch_size=batch_size,
            poll_interval=poll_interval,
        )
    chosen = name or reference.rpartition(":")[2].rpartition(".")[2]
    if projector is not None:
        return store.projection_consumer(
            name=chosen,
            source=source,
            projector=projector,
            batch_size=batch_size,
            poll_interval=poll_interval,
        )
    assert handler is not None  # not a projector, so a function
    return store.consumer(
        name=chosen,
        source=source,
        handler=handler,
        batch_size=batch_size,
        poll_interval=poll_interval,
    )


def _configure_logging(level: str) -> None:
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger("tidings")
    root.handlers[:] = [handler]
    try:
        root.setLevel(level.upper())
    except ValueError:
        raise click.BadParameter(f"unknown log level {level!r}", param_hint="--log-level") from None
    root.propagate = False


@click.command(short_help="list consumers and groups, or reset a checkpoint")
@url_option
@click.option("--reset", "reset", metavar="NAME", help="move NAME's checkpoint (stop it first)")
@click.option(
    "--to",
    "to",
    metavar="WHERE",
    help="with --reset: beginning, end, or a checkpoint such as 42 or 1234:42",
)
@format_options(default="auto")
def consumers(
    url: str | None, reset: str | None, to: str | None, output_format: str | None
) -> None:
    """List every consumer and consumer group of the store: checkpoint, lag in events
    and in seconds (the age of the oldest event not handled), parked events, and a
    group's live members and partition owners.

    With --reset NAME --to WHERE, move that consumer's (or every partition of that
    group's) checkpoint instead. A group refuses while it has live members.
    """
    if (reset is None) != (to is None):
        raise click.UsageError("--reset and --to go together")
    if reset is not None and to is not None:
        with open_for_writing(target(url)) as store:
            checkpoint = store.reset_consumer(name=reset, to=to)
        click.echo(f"{reset}: checkpoint {checkpoint}", err=True)
        return
    with open_for_reading(target(url)) as store:
        listed = store.consumers()
    columns = [
        "name",
        "kind",
        "checkpoint",
        "lag",
        "lag_seconds",
        "parked",
        "members",
        "partitions",
    ]
    write_rows(_rows(listed), columns, choose_format(output_format, "auto"))


def _rows(listed: list[ConsumerStatus]) -> Iterator[dict[str, Any]]:
    for status in listed:
        yield {
            "name": status.name,
            "kind": status.kind,
            "checkpoint": None if status.checkpoint is None else str(status.checkpoint),
            "lag": status.lag,
            "lag_seconds": round(status.lag_seconds, 3),
            "parked": status.parked,
            "members": list(status.members),
            "partitions": {
                str(p.partition): {
                    "owner": p.owner,
                    "checkpoint": None if p.checkpoint is None else str(p.checkpoint),
                    "lag": p.lag,
                }
                for p in status.partitions
            },
        }
