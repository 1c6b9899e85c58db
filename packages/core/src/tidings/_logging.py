"""The ``tidings`` loggers: named, silent unless the application configures logging.

The library installs only a :class:`logging.NullHandler` on the ``tidings`` logger, as
the logging HOWTO asks of libraries, so nothing is printed (and no "no handlers could
be found" notice appears) until the application, or ``tidings -v``, adds a handler.
Child loggers (``tidings.plugins``, and adapters' own such as ``tidings.sqlite``)
propagate to it. Records name stores by their password-free config string only.
"""

from __future__ import annotations

import logging

from tidings._plugins.url import URL, make_url
from tidings.errors import TidingsError

__all__ = ["LOGGER_NAME", "describe_url", "get_logger", "logger"]

LOGGER_NAME = "tidings"

logger = logging.getLogger(LOGGER_NAME)
logger.addHandler(logging.NullHandler())


def get_logger(suffix: str | None = None) -> logging.Logger:
    """The ``tidings`` logger, or its child ``tidings.<suffix>``."""
    return logger if suffix is None else logger.getChild(suffix)


def describe_url(url: str | URL) -> str:
    """A config string as records may show it: never with its password or secrets.

    A string that does not parse is not shown at all, since it could hold a password
    in a place the parser did not recognise.
    """
    try:
        return make_url(url).render(hide_password=True)
    except TidingsError:
        return "<an invalid config string>"
