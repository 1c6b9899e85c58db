"""What holds PostgreSQL's commit horizon back while a round runs.

tidings' log and category subscribers read only below ``pg_snapshot_xmin``, the oldest
transaction still running on the whole server (every database, not only this schema).
So any long transaction of any other client delays them until it ends: safe, never a
skip, but slow. On a machine shared with other test suites that shows as stalls. A
:class:`HorizonWatch` samples the oldest other transaction while a round runs, so that a
stalled round can be told from a slow one.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self

__all__ = ["HorizonWatch"]

_QUERY = """
SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)), 0)::float8
FROM pg_stat_activity
WHERE pid <> pg_backend_pid() AND backend_xid IS NOT NULL
"""
INTERVAL = 0.25
"""Seconds between two samples."""


class HorizonWatch:
    """Samples, in a thread, the age of the oldest transaction that holds an id on the
    server. ``oldest`` is the largest age seen, in seconds. The round's own writers
    count too, but their transactions last milliseconds; a stall shows as seconds."""

    def __init__(self, postgres_url: str) -> None:
        self._url = postgres_url
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.oldest = 0.0

    def _sample(self) -> None:
        try:
            import psycopg

            with psycopg.connect(self._url, autocommit=True, connect_timeout=3) as connection:
                while not self._done.is_set():
                    row = connection.execute(_QUERY).fetchone()
                    if row is not None:
                        self.oldest = max(self.oldest, float(row[0]))
                    self._done.wait(INTERVAL)
        except Exception:  # noqa: BLE001 - a best-effort note in the results
            self.oldest = float("nan")

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._done.set()
        self._thread.join(5)
