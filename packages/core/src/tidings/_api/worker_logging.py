"""Structured logs for workers: one JSON object per line, with the fields tidings adds."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

__all__ = ["JsonLogFormatter", "configure_worker_logging"]


class JsonLogFormatter(logging.Formatter):
    """Formats a record as a JSON line: time, level, logger, message, and the record's
    ``tidings`` fields (group, member, partition...), so log systems can index them."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(getattr(record, "tidings", {}))
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def configure_worker_logging(level: int | str = logging.INFO, stream: TextIO | None = None) -> None:
    """Send the ``tidings`` loggers to ``stream`` (stderr) as JSON lines."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger("tidings")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
