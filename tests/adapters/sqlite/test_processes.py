"""Several processes on one file: stress, crashes mid-batch, and reading another's writes."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import tidings
from tidings import NewEvent

from .conftest import WORKERS, OpenStore, raw_rows, run_worker

PROCESSES = 4
THREADS = 4
PUBLISHES = 24


def _start_worker(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKERS), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill(worker: subprocess.Popen[str]) -> None:
    os.kill(worker.pid, signal.SIGKILL)
    worker.communicate(timeout=60)
    assert worker.returncode == -signal.SIGKILL


def test_processes_and_threads_publishing_at_once_keep_every_rule(db_path: Path) -> None:
    tidings.connect(f"sqlite:///{db_path}").close()
    workers = [
        _start_worker("stress", db_path, process, THREADS, PUBLISHES)
        for process in range(PROCESSES)
    ]
    attempts: list[dict[str, Any]] = []
    for worker in workers:
        out, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err
        attempts += [json.loads(line) for line in out.splitlines()]
    assert len(attempts) == PROCESSES * THREADS * PUBLISHES

    rows = raw_rows(
        db_path, "SELECT id, stream, position, sequence_number FROM events ORDER BY sequence_number"
    )
    by_id = {row[0]: list(row) for row in rows}
    acknowledged = [e for a in attempts if a["ok"] for e in a["stored"]]
    failed_ids = {i for a in attempts if not a["ok"] for i in a["ids"]}
    # Every acknowledged event is present exactly once, exactly as acknowledged...
    assert len(by_id) == len(rows) == len(acknowledged)
    assert all(by_id[event[0]] == event for event in acknowledged)
    # ...and checked writes that failed left nothing.
    assert failed_ids.isdisjoint(by_id)
    # Only checked writes to shared streams may fail; private streams are never contended.
    assert {a["kind"] for a in attempts if not a["ok"]} <= {2}
    assert {a.get("error") for a in attempts if not a["ok"]} <= {"UnmetWriteConditionError"}
    positions: dict[str, list[int]] = defaultdict(list)
    for _, stream, position, _ in rows:
        positions[str(stream)].append(int(str(position)))
    assert len(positions) == PROCESSES * THREADS + 2
    for stream, found in positions.items():
        assert found == list(range(len(found))), stream
    sequence_numbers = [int(str(row[3])) for row in rows]
    assert sequence_numbers == sorted(set(sequence_numbers))
    assert raw_rows(db_path, "PRAGMA integrity_check") == [("ok",)]


def _batches(db_path: Path) -> dict[int, list[int]]:
    rows = raw_rows(
        db_path, "SELECT json_extract(payload, '$.batch'), position FROM events ORDER BY position"
    )
    batches: dict[int, list[int]] = defaultdict(list)
    for batch, position in rows:
        batches[int(str(batch))].append(int(str(position)))
    return batches


def test_a_writer_killed_while_publishing_leaves_whole_batches(
    db_path: Path, open_store: OpenStore
) -> None:
    batch_size = 2000
    worker = _start_worker("publish-forever", db_path, batch_size)
    assert worker.stdout is not None
    acknowledged = [int(worker.stdout.readline()) for _ in range(3)]
    _kill(worker)

    assert raw_rows(db_path, "PRAGMA integrity_check") == [("ok",)]
    batches = _batches(db_path)
    assert set(acknowledged) <= set(batches)
    for number, positions in batches.items():
        assert positions == list(range(number * batch_size, (number + 1) * batch_size))
    stream = open_store().stream(category="crash", stream="s")
    assert stream.publish(events=[NewEvent(name="after")])[0].position == len(batches) * batch_size


def test_a_writer_killed_in_the_middle_of_an_insert_leaves_nothing_of_that_batch(
    db_path: Path, open_store: OpenStore
) -> None:
    store = open_store()
    stream = store.stream(category="crash", stream="s")
    committed = stream.publish(events=[NewEvent(name="before")] * 300)
    store.close()
    # The child stops inside its INSERT, with positions 300-700 of 300-1299 written.
    worker = _start_worker("pause-mid-batch", db_path, 1000, 700)
    assert worker.stdout is not None
    assert worker.stdout.readline() == "paused\n"
    _kill(worker)

    assert raw_rows(db_path, "PRAGMA integrity_check") == [("ok",)]
    reopened = open_store().stream(category="crash", stream="s")
    assert reopened.read() == committed
    continued = reopened.publish(events=[NewEvent(name="after")])[0]
    assert (continued.position, continued.sequence_number) == (300, 301)


def test_events_written_by_one_process_read_back_identically_in_another(
    db_path: Path, open_store: OpenStore
) -> None:
    store = open_store()
    moment = datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=9)))
    published = store.category(category="reopen").publish(
        streams={
            "a": [
                NewEvent(name="ünïcode", payload={"x": [1, 2.5, None, "☃"]}, occurred_at=moment),
                NewEvent(name="second", id="given-id", metadata={"trace": "t"}),
            ],
            "b": [NewEvent(name="third", observed_at=datetime(2030, 1, 1, tzinfo=UTC))],
        }
    )
    store.close()
    read = pickle.loads(run_worker("read", db_path).stdout)
    assert read == [*published["a"], *published["b"]]
    assert [e.to_dict() for e in read] == [e.to_dict() for e in (*published["a"], *published["b"])]
