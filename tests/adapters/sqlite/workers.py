"""Child processes for the SQLite tests, run as ``python workers.py <role> <args...>``.

Each role talks to its parent on stdout: JSON lines, or a pickle for ``read``.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import sys
import threading
import time
from typing import Any

import sqlite_utils.plugins

import tidings
from tidings import Batch, NewEvent, StoreBusyError, UnmetWriteConditionError, position_is

STRESS_CATEGORY = "stress"
SHARED_STREAMS = ("shared-0", "shared-1")


def stress(path: str, process: int, threads: int, publishes: int) -> None:
    """Publish a mix of checked and unchecked batches; print one JSON line per attempt."""
    store = tidings.connect(f"sqlite:///{path}", busy_timeout=60)
    attempts: list[dict[str, Any]] = []
    lock = threading.Lock()

    def work(thread: int) -> None:
        category = store.category(category=STRESS_CATEGORY)
        private = f"private-{process}-{thread}"
        private_last: int | None = None
        for n in range(publishes):
            ids = [f"{process}-{thread}-{n}-{k}" for k in range(1 + n % 3)]
            events = [NewEvent(name="stressed", id=i, payload={"n": n}) for i in ids]
            shared = SHARED_STREAMS[n % 2]
            kind = n % 4
            streams: dict[str, list[NewEvent] | Batch]
            if kind == 0:
                streams = {private: Batch(events, position_is(private_last))}
            elif kind == 1:
                streams = {shared: events}
            elif kind == 2:
                latest = category.stream(shared).latest()
                condition = position_is(None if latest is None else latest.position)
                streams = {shared: Batch(events, condition)}
            else:
                half = len(events) // 2
                streams = {
                    private: Batch(events[:half] or events, position_is(private_last)),
                    shared: events[half:] if half else [],
                }
            attempt: dict[str, Any] = {"kind": kind, "ids": ids, "ok": True, "stored": []}
            try:
                result = category.publish(streams=streams)
            except (UnmetWriteConditionError, StoreBusyError) as error:
                attempt.update(ok=False, error=type(error).__name__)
            else:
                for stored in result.values():
                    attempt["stored"] += [
                        [e.id, e.stream, e.position, e.sequence_number] for e in stored
                    ]
                if result.get(private):
                    private_last = result[private][-1].position
            with lock:
                attempts.append(attempt)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    store.close()
    for attempt in attempts:
        print(json.dumps(attempt))


def publish_forever(path: str, batch_size: int) -> None:
    """Publish numbered batches until killed, printing each acknowledged batch number."""
    store = tidings.connect(f"sqlite:///{path}")
    stream = store.stream(category="crash", stream="s")
    number = 0
    while True:
        events = [
            NewEvent(name="crashed", id=f"{number}-{i}", payload={"batch": number, "i": i})
            for i in range(batch_size)
        ]
        stream.publish(events=events)
        print(number, flush=True)
        number += 1


class _PauseMidInsert:
    """A sqlite-utils plugin that stops the first insert of ``position`` until killed."""

    def __init__(self, position: int) -> None:
        self.position = position

    @sqlite_utils.hookimpl
    def prepare_connection(self, conn: sqlite3.Connection) -> None:
        def pause() -> None:
            print("paused", flush=True)
            time.sleep(3600)

        conn.create_function("tidings_test_pause", 0, pause)
        conn.execute(
            "CREATE TEMP TRIGGER IF NOT EXISTS tidings_test_pause AFTER INSERT ON main.events "
            f"WHEN NEW.position = {int(self.position)} BEGIN SELECT tidings_test_pause(); END"
        )


def pause_mid_batch(path: str, batch_size: int, pause_at: int) -> None:
    """Start a batch and freeze inside its insert, with part of it written, until killed."""
    sqlite_utils.plugins.pm.register(_PauseMidInsert(pause_at))
    store = tidings.connect(f"sqlite:///{path}", sqlite_utils_plugins=True)
    stream = store.stream(category="crash", stream="s")
    stream.publish(events=[NewEvent(name="crashed", payload={"i": i}) for i in range(batch_size)])
    print("finished", flush=True)


def read(path: str) -> None:
    """Pickle every event of the log to stdout."""
    with tidings.connect(f"sqlite:///{path}") as store:
        sys.stdout.buffer.write(pickle.dumps(store.log().read()))


def main(role: str, *args: str) -> None:
    if role == "stress":
        stress(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif role == "publish-forever":
        publish_forever(args[0], int(args[1]))
    elif role == "pause-mid-batch":
        pause_mid_batch(args[0], int(args[1]), int(args[2]))
    elif role == "read":
        read(args[0])
    else:
        raise SystemExit(f"unknown role {role!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
