"""What every command shares: the ``--url``, ``-v`` and scope options, progress bars,
and the errors that end a command with exit status 1."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

from tidings import EventStore, Scope
from tidings_cli.stores import DEFAULT_URL, URL_ENV, Target

__all__ = [
    "CommandError",
    "ProgressBar",
    "echo_err",
    "progress",
    "scope_of",
    "scope_options",
    "silent_option",
    "target",
    "url_option",
    "verbose_option",
]

F = TypeVar("F", bound=Callable[..., Any])

URL_HELP = (
    f"the store's config string, such as sqlite:///events.db or "
    f"postgresql://user@host/db?schema=events (default: ${URL_ENV}, else {DEFAULT_URL})"
)


class CommandError(click.ClickException):
    """A runtime error: shown as one ``Error:`` line on stderr, exit status 1."""

    exit_code = 1


def echo_err(message: str) -> None:
    """A line for people, on stderr, so that stdout stays data."""
    click.echo(message, err=True)


def url_option(function: F) -> F:
    """``--url``, the same on every command, defaulting to ``$TIDINGS_URL``."""
    return click.option("--url", metavar="URL", envvar=URL_ENV, show_envvar=False, help=URL_HELP)(
        function
    )


def target(url: str | None) -> Target:
    """The store a command's ``--url`` names, with the default filled in."""
    return Target.parse(url)


_HANDLER_KEY = "tidings_cli.log_handler"


def _set_verbosity(context: click.Context, parameter: click.Parameter, value: int) -> None:
    """Send the ``tidings`` loggers' records to stderr: INFO with ``-v``, DEBUG with
    ``-vv``. The handler is removed when the command ends, so that tests (and programs
    that call the command in-process) do not collect handlers."""
    if not value:
        return
    level = logging.INFO if value == 1 else logging.DEBUG
    logger = logging.getLogger("tidings")
    handler: logging.Handler | None = context.meta.get(_HANDLER_KEY)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        previous = logger.level
        context.meta[_HANDLER_KEY] = handler

        def remove() -> None:
            logger.removeHandler(handler)
            logger.setLevel(previous)

        context.call_on_close(remove)
    if logger.level == logging.NOTSET or level < logger.level:
        logger.setLevel(level)


def verbose_option(function: F) -> F:
    """``-v``/``--verbose``: log what tidings does, to stderr (``-vv`` for more)."""
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        is_eager=True,
        callback=_set_verbosity,
        help="log what tidings does to stderr; -vv for debug detail",
    )(function)


def silent_option(function: F) -> F:
    """``--silent``: no progress bar."""
    return click.option("--silent", is_flag=True, help="show no progress bar on stderr")(function)


def scope_options(function: F) -> F:
    """``--category``/``--stream``: the scope to read (the whole log by default)."""
    function = click.option("--stream", metavar="STREAM", help="only this stream of --category")(
        function
    )
    return click.option(
        "--category", metavar="CATEGORY", help="only this category (default: the whole log)"
    )(function)


def scope_of(store: EventStore, category: str | None, stream: str | None) -> Scope:
    """The log, a category or a stream; ``--stream`` without ``--category`` is a usage
    error (exit status 2), since stream names are only unique within a category."""
    if stream is not None:
        if category is None:
            raise click.UsageError(
                "--stream needs --category: a stream is named within its category"
            )
        return store.stream(category=category, stream=stream)
    if category is not None:
        return store.category(category=category)
    return store.log()


class ProgressBar:
    """Progress by a count that may jump (sequence numbers skip on some backends), with
    the rate; does nothing with ``--silent``."""

    def __init__(self, bar: Any | None, unit: str) -> None:
        self._bar = bar
        self._unit = unit
        self._done = 0
        self._items = 0
        self._pending = 0
        self._started = self._drawn = time.monotonic()

    def advance_to(self, done: int, items: int = 1) -> None:
        """Move the bar to ``done`` (never backwards), having handled ``items`` more.

        Redrawn at most ten times a second: click redraws on every update, which would
        cost more than the events themselves."""
        self._items += items
        if self._bar is None or done <= self._done:
            return
        now = time.monotonic()
        if now - self._drawn < 0.1:
            self._pending = done
            return
        self._draw(done, now)

    def finish(self) -> None:
        """Draw what was handled since the last redraw."""
        if self._bar is not None and self._pending > self._done:
            self._draw(self._pending, time.monotonic())

    def _draw(self, done: int, now: float) -> None:
        if self._bar is None:
            return
        elapsed = now - self._started
        rate = f"{self._items / elapsed:,.0f} {self._unit}/s" if elapsed > 0 else ""
        self._bar.update(done - self._done, rate)
        self._done = done
        self._drawn = now

    def advance(self, steps: int = 1) -> None:
        """Move the bar on by ``steps`` items."""
        self.advance_to(self._done + steps, steps)


@contextlib.contextmanager
def progress(
    label: str, length: int | None, *, silent: bool, unit: str = "events"
) -> Iterator[ProgressBar]:
    """A progress bar on stderr with its rate and time remaining, for long commands.

    Shown on a terminal only: in a pipe or a log file it would be noise.
    """
    if silent or not sys.stderr.isatty():
        yield ProgressBar(None, unit)
        return
    with click.progressbar(
        length=length,
        label=label,
        file=sys.stderr,
        show_pos=True,
        show_eta=True,
        width=30,
        item_show_func=lambda rate: rate,
    ) as bar:
        shown = ProgressBar(bar, unit)
        yield shown
        shown.finish()
