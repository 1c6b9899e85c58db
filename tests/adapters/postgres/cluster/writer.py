"""One writer process of the failover test: publishes events with ids, retrying each
with :func:`tidings.publish_with_retry`, and records every outcome as a JSON line.

Usage: ``python writer.py URL INDEX OUT STOP``. It writes until the file STOP exists.
Each line: ``{"id", "stream", "position", "acked_at"}`` for an acknowledged publish, or
``{"id", "stream", "error"}`` for one that gave up with its outcome unknown.
"""

from __future__ import annotations

import json
import os
import sys
import time

import tidings
from tidings import NewEvent

STREAMS = 3
"""Streams per writer: each event goes to one, in turn."""


def _connect(url: str) -> tidings.EventStore:
    """Open the store, retrying while the cluster has no primary (a failover may be
    under way when the process starts)."""
    deadline = time.monotonic() + 120
    while True:
        try:
            return tidings.connect(
                url,
                ordering="stream",
                connect_timeout=2,
                operation_timeout=4,
                pool_min_size=0,
                pool_max_size=2,
                keepalives_idle=2,
                keepalives_interval=1,
                keepalives_count=2,
                tcp_user_timeout=4,
            )
        except tidings.StorageError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def main(url: str, index: int, out: str, stop: str) -> None:
    with _connect(url) as store, open(out, "a", buffering=1) as record:
        number = 0
        while not os.path.exists(stop):
            event_id = f"w{index}-{number}"
            stream = f"w{index}-s{number % STREAMS}"
            scope = store.stream(category="jepsen", stream=stream)
            try:
                stored = tidings.publish_with_retry(
                    lambda events, scope=scope: scope.publish(events=events),
                    [NewEvent(name="written", id=event_id, payload={"n": number})],
                    attempts=60,
                    backoff=0.05,
                    max_backoff=0.5,
                )
            except tidings.StorageError as error:
                line = {"id": event_id, "stream": stream, "error": type(error).__name__}
            else:
                line = {
                    "id": event_id,
                    "stream": stream,
                    "position": stored[0].position,
                    "acked_at": time.time(),
                }
            record.write(json.dumps(line) + "\n")
            number += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
