"""Exactly-once projection consumers under SIGKILL (contract rule 27).

A consumer process is killed with SIGKILL at random moments, many times, and started
again. After every kill, the stored projection must equal the projection, computed from
scratch, of exactly the events up to the stored checkpoint; at the end it must equal the
projection of every event. An event applied twice or lost shows in ``count``/``total``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tidings
from postgres_server import SchemaFactory, postgres_url, schemas
from tidings import Checkpoint, NewEvent, Projection

from .projection_worker import PROJECTOR

__all__ = ["postgres_url", "schemas"]

WORKER = Path(__file__).with_name("projection_worker.py")
EVENTS = 600
KILLS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/events.db"
    else:
        factory: SchemaFactory = request.getfixturevalue("schemas")
        yield factory.url()


def _start(url: str, *, errors: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, str(WORKER), url], env=env, stderr=errors)


def _stored(url: str) -> tuple[Projection | None, Checkpoint | None]:
    with tidings.connect(url) as store:
        projection = store.projections.load(name="tally", id="work")
        record = store.projections.load(name="$checkpoints", id="tally-consumer")
    checkpoint = None if record is None else Checkpoint.parse(record.state["checkpoint"])
    return projection, checkpoint


def _expected(url: str, checkpoint: Checkpoint | None) -> dict[str, int]:
    with tidings.connect(url) as store:
        events = store.category(category="work").read()
    upto = 0 if checkpoint is None else checkpoint.sequence_number
    return dict(PROJECTOR.project({}, [e for e in events if e.sequence_number <= upto]).state)


def test_a_killed_projection_consumer_never_applies_an_event_twice_or_loses_one(
    url: str,
) -> None:
    with tidings.connect(url) as store:
        for start in range(0, EVENTS, 100):
            store.stream(category="work", stream=f"s{start % 3}").publish(
                events=[
                    NewEvent(name="worked", payload={"index": index})
                    for index in range(start, start + 100)
                ]
            )
    randomness = random.Random(20261130)
    kills = 0
    for _ in range(KILLS):
        worker = _start(url)
        time.sleep(randomness.uniform(0.3, 0.6))
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        worker.wait(timeout=30)
        projection, checkpoint = _stored(url)
        if projection is not None:
            assert dict(projection.state) == _expected(url, checkpoint)
    assert kills >= KILLS // 2, "the workers finished before they could be killed"
    finisher = _start(url, errors=subprocess.PIPE)
    _, errors = finisher.communicate(timeout=120)
    assert finisher.returncode == 0, errors.decode()
    projection, checkpoint = _stored(url)
    assert projection is not None
    assert projection.state["count"] == EVENTS
    assert dict(projection.state) == _expected(url, checkpoint)
