"""(h) Memory: peak RSS while lazily iterating a large log, measured in a child process.

The child opens the store (for ``memory://`` it first loads the events itself, as that
store lives in the process), resets the kernel's peak-RSS mark, iterates the whole log
keeping nothing, and reports how far the peak rose above the RSS it started from.
Run as ``python -m tidings_bench.rss SPEC`` by :func:`measure_rss`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .backends import Location, Places, Row
from .growth import LOAD_BATCH, Loaded

__all__ = ["measure_rss"]

CHILD_TIMEOUT = 600


def measure_rss(
    row: Row, places: Places, events: int, labels: tuple[str, ...], loaded: list[Loaded]
) -> list[dict[str, Any]]:
    """One result per contender: RSS growth in MB over one lazy pass of the log.

    Reuses (g)'s loaded stores when they hold ``events`` events, and discards them.
    """
    results = []
    unused = list(loaded)
    for label in labels:
        ready = next((i for i in unused if i.label == label and i.stored == events), None)
        if ready is not None:
            unused.remove(ready)
        location = ready.location if ready is not None else places.fresh(row)
        try:
            if ready is not None and row.backend != "memory":
                results.append(_child(label, location, 0, ready.events))
            else:
                results.append(_child(label, location, events, events))
        finally:
            places.discard(location)
    for item in unused:
        places.discard(item.location)
    return results


def _child(label: str, location: Location, load: int, expected: int) -> dict[str, Any]:
    spec = json.dumps({"label": label, "location": dataclasses.asdict(location), "load": load})
    env = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    completed = subprocess.run(
        [sys.executable, "-m", "tidings_bench.rss", spec],
        capture_output=True,
        text=True,
        env=env,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the RSS child for {label} failed:\n{completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    if result["events"] != expected:
        raise AssertionError(f"{label} iterated {result['events']} events, expected {expected}")
    result["contender"] = label
    return result


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _main(spec_text: str) -> None:
    import gc

    from .contenders import open_contender

    spec = json.loads(spec_text)
    fields = spec["location"]
    location = Location(**{**fields, "row": Row(**fields["row"])})
    contender = open_contender(spec["label"], location)
    if spec["load"]:
        count = spec["load"]
        contender.bulk_load(0, max(count // LOAD_BATCH, 1), min(count, LOAD_BATCH))
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak-RSS mark (VmHWM)
    before = _rss_kb("VmRSS")
    started = time.perf_counter()
    events = contender.scan_log()
    seconds = time.perf_counter() - started
    peak = _rss_kb("VmHWM")
    contender.close()
    print(
        json.dumps(
            {
                "events": events,
                "seconds": seconds,
                "rss_before_mb": before / 1024,
                "rss_peak_mb": peak / 1024,
                "rss_growth_mb": (peak - before) / 1024,
            }
        )
    )


if __name__ == "__main__":
    _main(sys.argv[1])
