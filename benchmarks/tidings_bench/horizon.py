"""How long PostgreSQL's commit horizon stood still while a round ran.

tidings' log and category subscribers read only below ``pg_snapshot_xmin``, the oldest
transaction still running on the whole server (every database, not only this schema).
So any long transaction of any other client holds them back until it ends: safe, never
a skip, but slow. On a machine shared with other test suites that shows as stalls. A
:class:`HorizonWatch` samples the server's snapshot while a round runs and keeps the
longest time the horizon stayed on one running transaction, so that a stalled round can
be told from a slow one.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Self

__all__ = ["HorizonWatch"]

_QUERY = "SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text FROM pg_current_snapshot() s"
INTERVAL = 0.1
"""Seconds between two samples."""


class HorizonWatch:
    """Samples ``pg_current_snapshot()`` in a thread. ``longest`` is the longest time,
    in seconds, that its ``xmin`` stayed on one transaction while others came after it
    (NaN when the server could not be asked). The round's own writers count too, but
    they hold the horizon for milliseconds; a stall shows as seconds."""

    def __init__(self, postgres_url: str) -> None:
        self._url = postgres_url
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.longest = 0.0

    def _sample(self) -> None:
        try:
            import psycopg

            with psycopg.connect(self._url, autocommit=True, connect_timeout=3) as connection:
                held, since = "", 0.0
                while not self._done.is_set():
                    row = connection.execute(_QUERY).fetchone()
                    now = time.monotonic()
                    if row is None or row[0] == row[1]:
                        held = ""  # nothing running: the horizon is at the tip
                    elif row[0] != held:
                        held, since = row[0], now
                    else:
                        self.longest = max(self.longest, now - since)
                    self._done.wait(INTERVAL)
        except Exception:  # noqa: BLE001 - a best-effort note in the results
            self.longest = float("nan")

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
