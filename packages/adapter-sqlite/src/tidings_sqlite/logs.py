"""The ``tidings.sqlite`` logger: INFO when a table's schema is created or upgraded,
DEBUG for each statement a connection runs and for each publish with its duration.
Silent unless the application configures logging (the ``tidings`` logger has only a
``NullHandler``).

SQLite tells a connection's statements as they start (``set_trace_callback``), not how
long each took, so the durations are those of whole publishes. SQLite hands over each
statement with its values bound in; string and blob literals, which carry payloads and
names, are shown as ``?``.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Callable, Sequence, Sized

__all__ = [
    "logger",
    "publish_done",
    "publish_started",
    "schema_changed",
    "trace_statements",
]

logger = logging.getLogger("tidings.sqlite")

_SQL_SHOWN = 200
"""Characters of a statement's text shown; the DDL runs to kilobytes."""


def schema_changed(database: str, table: str, before: int, after: int) -> None:
    """INFO: the table's schema was created (``before`` 0) or upgraded."""
    if before == 0:
        logger.info("created table %r in %s at schema version %d", table, database, after)
    else:
        logger.info(
            "upgraded table %r in %s from schema version %d to %d", table, database, before, after
        )


def trace_statements(connection: sqlite3.Connection, database: str) -> None:
    """Log the statements of ``connection`` at DEBUG, if DEBUG records are wanted now
    (checked when the connection opens, so that a silent logger costs nothing)."""
    if logger.isEnabledFor(logging.DEBUG):
        connection.set_trace_callback(_tracer(database))


_LITERAL = re.compile(r"(?:[xX]?'(?:[^']|'')*')")
"""A string or blob literal: SQLite shows statements with their values bound in."""


def _tracer(database: str) -> Callable[[str], None]:
    def trace(statement: str) -> None:
        text = " ".join(_LITERAL.sub("?", statement).split())
        if len(text) > _SQL_SHOWN:
            text = text[: _SQL_SHOWN - 1] + "…"
        logger.debug("%s: %s", database, text)

    return trace


def publish_started() -> float:
    """A start time when DEBUG records are wanted, else 0 (and nothing is timed)."""
    return time.perf_counter() if logger.isEnabledFor(logging.DEBUG) else 0.0


def publish_done(describe: Callable[[], str], started: float, stored: Sequence[Sized]) -> None:
    """DEBUG: a publish that stored ``stored`` (one list per stream) took this long. The
    database is described, and the events counted, only when DEBUG is on (``started``):
    this runs after every publish."""
    if started:
        elapsed = (time.perf_counter() - started) * 1000
        events, streams = sum(map(len, stored)), len(stored)
        logger.debug(
            "%s: published %d events to %d streams in %.2f ms", describe(), events, streams, elapsed
        )
