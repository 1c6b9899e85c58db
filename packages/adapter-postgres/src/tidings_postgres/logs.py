"""The ``tidings.postgres`` logger: INFO when a schema is created or upgraded, DEBUG for
each statement with its duration. Silent unless the application configures logging
(the ``tidings`` logger has only a ``NullHandler``).

Records never hold a password or a parameter value: the server is named by its
password-free description, and a statement by its SQL text (its parameters, which carry
payloads, are counted, not shown).
"""

from __future__ import annotations

import logging
import time

from tidings_postgres.plans import Statement

__all__ = ["logger", "schema_changed", "statement_done", "statement_started"]

logger = logging.getLogger("tidings.postgres")

_SQL_SHOWN = 200
"""Characters of a statement's text shown; the DDL runs to kilobytes."""


def schema_changed(schema: str, before: int | None, after: int) -> None:
    """INFO: the plan created ``schema`` (``before`` None) or upgraded it."""
    if before is None:
        logger.info("created schema %r at version %d", schema, after)
    else:
        logger.info("upgraded schema %r from version %d to %d", schema, before, after)


def statement_started() -> float:
    """A start time when DEBUG records are wanted, else 0 (and nothing is timed)."""
    return time.perf_counter() if logger.isEnabledFor(logging.DEBUG) else 0.0


def statement_done(statement: Statement, started: float, rows: int) -> None:
    """DEBUG: ``statement`` took this long and returned ``rows`` rows."""
    if not started:
        return
    elapsed = (time.perf_counter() - started) * 1000
    text = statement.sql.decode() if isinstance(statement.sql, bytes) else statement.sql
    text = " ".join(text.split())
    if len(text) > _SQL_SHOWN:
        text = text[: _SQL_SHOWN - 1] + "…"
    params = statement.params
    count = 0 if params is None else len(params)
    logger.debug("%.2f ms, %d rows, %d parameters: %s", elapsed, rows, count, text)
