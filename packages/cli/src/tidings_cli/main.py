"""The ``tidings`` command group: its global options and how any command ends.

Exit statuses: 0 for success; 1 for a runtime error (one ``Error:`` line, no traceback
unless ``--debug``), which includes a name in ``TIDINGS_LOAD_PLUGINS`` or
``TIDINGS_DISABLE_PLUGINS`` that no installed plugin has (the library only warns); 2
for a usage error (click's); 130 after Ctrl-C and 141 when the reader of stdout goes
away (``tidings export | head``), as for other Unix tools, and without a traceback in
either case.
"""

from __future__ import annotations

import os
import sys
import warnings
from importlib import metadata
from typing import Any, TextIO

import click

from tidings import PluginNameWarning, TidingsError
from tidings_cli.common import CommandError, verbose_option

__all__ = ["TidingsGroup", "cli"]

EXIT_INTERRUPTED = 130
"""128 + SIGINT, as a shell reports a program that Ctrl-C stopped."""

EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE, as a shell reports ``yes | head``'s ``yes``."""

_DEBUG_KEY = "tidings_cli.debug"


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush of what is left
    in its buffer does not raise a second BrokenPipeError on the way out."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (tests capture stdout)
        pass


class TidingsGroup(click.Group):
    """A group whose commands end the same way: see the module docstring."""

    def invoke(self, ctx: click.Context) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.simplefilter("error", PluginNameWarning)
            warnings.showwarning = _show_warning
            return self._invoke(ctx)

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # here, so that a closed pipe is seen while we can handle it
            return result
        except (TidingsError, PluginNameWarning) as error:
            if ctx.meta.get(_DEBUG_KEY):
                raise
            raise CommandError(" ".join(str(error).split())) from error
        except BrokenPipeError:
            _silence_stdout()
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A warning as one line for people (such as a misspelt name in
    TIDINGS_DISABLE_PLUGINS), without the source line Python shows by default."""
    click.echo(f"Warning: {message}", err=True)


def _set_debug(context: click.Context, parameter: click.Parameter, value: bool) -> None:
    if value:
        context.meta[_DEBUG_KEY] = True


def _version_message() -> str:
    versions = []
    for distribution in ("tidings-cli", "tidings-core"):
        try:
            versions.append(f"{distribution} {metadata.version(distribution)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{distribution} (not installed)")
    return f"tidings, {', '.join(versions)}"


def _show_version(context: click.Context, parameter: click.Parameter, value: bool) -> None:
    if value and not context.resilient_parsing:
        click.echo(_version_message())
        context.exit(0)


@click.group(
    cls=TidingsGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="show the versions of tidings-cli and tidings-core, and exit",
)
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="show the full traceback of an error",
)
@verbose_option
def cli() -> None:
    """The tidings event store: inspect, follow, export, import and copy stores.

    Every command takes --url (default: $TIDINGS_URL, else sqlite:///tidings.db).
    Commands that read never create or change a store; only init, import, copy and
    demo write.
    """


def _register() -> None:
    from tidings_cli import basics, consuming, describing, inspecting, transfer

    for command in (
        basics.adapters,
        basics.demo,
        basics.init,
        inspecting.read,
        inspecting.streams,
        inspecting.categories,
        inspecting.tail,
        describing.show,
        describing.stats,
        transfer.export,
        transfer.import_,
        transfer.copy,
        consuming.consume,
        consuming.consumers,
    ):
        cli.add_command(command)


_register()
