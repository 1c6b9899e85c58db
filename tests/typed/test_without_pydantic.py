"""An install without the Pydantic extra works with dataclasses: a fresh environment with
tidings-core and tidings-memory only (no Pydantic) publishes, reads, upcasts and
projects typed events."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from fresh_venv import ROOT, fresh_venv

SCRIPT = """
import importlib.util, sys
from dataclasses import dataclass
import tidings
from tidings import EventTypes, NewEvent, Projector

assert importlib.util.find_spec("pydantic") is None, "pydantic is installed"

types = EventTypes()

@types.event("deposited", version=2, upcasters={1: lambda p: {"amount": p["cents"]}})
@dataclass(frozen=True)
class Deposited:
    amount: int

@dataclass(frozen=True)
class Total:
    total: int = 0

class Totals(Projector):
    def add(self, state: Total, event: Deposited) -> Total:
        return Total(state.total + event.amount)

store = tidings.connect("memory://")
stream = store.stream(category="a", stream="s")
stream.publish(events=[NewEvent(name="deposited", payload={"cents": 2}), Deposited(3)], types=types)
assert [e.data for e in stream.read(types=types)] == [Deposited(2), Deposited(3)]
projection = store.projections.project(Totals(types=types, initial_state=Total), stream)
assert projection.state == Total(5), projection.state
assert store.projections.load(name="Totals", id="s").state == {"total": 5}
assert "pydantic" not in sys.modules
print("ok")
"""


def test_typed_events_work_with_dataclasses_where_pydantic_is_not_installed(
    tmp_path: Path,
) -> None:
    python = fresh_venv(
        tmp_path / "venv", ROOT / "packages" / "core", ROOT / "packages" / "adapter-memory"
    )
    environment = {**os.environ, "TIDINGS_LOAD_PLUGINS": "memory"}
    environment.pop("PYTHONPATH", None)
    run = subprocess.run(
        [python, "-c", SCRIPT], capture_output=True, text=True, cwd=tmp_path, env=environment
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout.strip() == "ok"
