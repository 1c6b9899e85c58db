"""Contract rules 5-13 across processes: 4 processes x 4 threads on one schema, with a
tailing reader in this process polling throughout."""

from __future__ import annotations

import multiprocessing
import threading
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor

import pytest

import tidings
from postgres_server import SchemaFactory
from tidings import StoredEvent

from . import stress_worker

PROCESSES = 4


@pytest.mark.parametrize("ordering", ["log", "stream"])
def test_processes_and_threads_writing_at_once_keep_every_invariant(
    schemas: SchemaFactory, ordering: str
) -> None:
    url = schemas.url()
    with tidings.connect(url, ordering=ordering) as store:
        tailed = store.log() if ordering == "log" else store.stream(category="hot", stream="shared")
        seen: list[StoredEvent] = []
        stop = threading.Event()

        def tail() -> None:
            while True:
                done = stop.is_set()
                seen.extend(tailed.read(after=seen[-1].sequence_number if seen else None))
                if done:
                    return
                stop.wait(0.01)

        reader = threading.Thread(target=tail)
        reader.start()
        try:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=PROCESSES, mp_context=context) as pool:
                futures = [
                    pool.submit(stress_worker.work, url, ordering, n) for n in range(PROCESSES)
                ]
                returned = [event for future in futures for event in future.result()]
        finally:
            stop.set()
            reader.join()
        log = store.log().read()

    per_process = stress_worker.THREADS * stress_worker.ROUNDS
    assert len(returned) == PROCESSES * per_process * 4
    assert sorted(returned, key=lambda e: e.sequence_number) == log
    sequence_numbers = [event.sequence_number for event in log]
    assert sequence_numbers == sorted(set(sequence_numbers))
    positions: dict[tuple[str, str], list[int]] = defaultdict(list)
    for event in log:
        positions[(event.category, event.stream)].append(event.position)
    for stream_positions in positions.values():
        assert stream_positions == list(range(len(stream_positions)))
    claimed = [e for e in log if e.stream == "shared"]
    assert len(claimed) == PROCESSES * per_process
    assert seen == (log if ordering == "log" else claimed)
