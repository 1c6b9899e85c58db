"""The issue's targets, checked against the medians of one run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .summary import Medians, lookup

__all__ = ["Verdict", "as_dicts", "check_targets", "verdict_mark"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """One target: what was asked, what was measured, and whether it was met (None:
    not measured in this run)."""

    target: str
    wanted: str
    measured: str
    met: bool | None


def _ratio(medians: Medians, row: str, scenario: str, other: str) -> float | None:
    mine = lookup(medians, row, scenario, "tidings")
    theirs = lookup(medians, row, scenario, other)
    if not mine or not theirs:
        return None
    return float(mine["rate"]) / float(theirs["rate"])


def _at_least(
    medians: Medians, row: str, scenario: str, other: str, floor: float, name: str
) -> Verdict:
    ratio = _ratio(medians, row, scenario, other)
    peer = "eventsourcing" if other == "eventsourcing" else "raw driver"
    wanted = f">= {floor:g}x {peer}"
    if ratio is None:
        return Verdict(name, wanted, "not measured", None)
    return Verdict(name, wanted, f"{ratio:.2f}x", ratio >= floor)


def _contention(medians: Medians, row: str) -> Verdict:
    name = f"{row} (f) 4 writers, one stream"
    wanted = "no lost or duplicate positions; more successes/s than eventsourcing"
    mine = lookup(medians, row, "f", "tidings")
    theirs = lookup(medians, row, "f", "eventsourcing")
    if not mine or not theirs:
        return Verdict(name, wanted, "not measured", None)
    intact = bool(mine.get("positions_ok")) and mine.get("stored") == mine.get("events")
    ratio = float(mine["rate"]) / float(theirs["rate"])
    measured = f"positions {'intact' if intact else 'BROKEN'}, {ratio:.2f}x successes/s"
    return Verdict(name, wanted, measured, intact and ratio > 1.0)


def _growth(medians: Medians, row: str) -> Verdict:
    name = f"{row} (g) growth"
    entry = lookup(medians, row, "g", "tidings")
    wanted = "append p50 and first page within 1.3x of the empty store"
    if not entry:
        return Verdict(name, wanted, "not measured", None)
    stored = int(entry["stored"])
    measured = (
        f"{stored:,} stored: append p50 {entry['append_ratio']:.2f}x, "
        f"first page {entry['first_page_ratio']:.2f}x"
    )
    met = entry["append_ratio"] <= 1.3 and entry["first_page_ratio"] <= 1.3
    return Verdict(name, wanted, measured, met)


def _memory(medians: Medians, row: str) -> Verdict:
    name = f"{row} (h) RSS while iterating"
    entry = lookup(medians, row, "h", "tidings")
    if not entry:
        return Verdict(name, "< 50 MB growth", "not measured", None)
    measured = f"{entry['rss_growth_mb']:.1f} MB over {int(entry['events']):,} events"
    return Verdict(name, "< 50 MB growth", measured, entry["rss_growth_mb"] < 50)


def check_targets(medians: Medians) -> list[Verdict]:
    """Every target of the issue, judged on the default rows (log ordering, FULL)."""
    pg, lite = "postgres-log", "sqlite-full"
    verdicts = [
        _at_least(medians, pg, "a", "eventsourcing", 2.5, f"{pg} (a) single appends"),
        _at_least(medians, pg, "a", "raw", 0.8, f"{pg} (a) single appends"),
        _at_least(medians, pg, "e", "eventsourcing", 2.5, f"{pg} (e) 4 writers"),
        _at_least(medians, pg, "b", "eventsourcing", 1.3, f"{pg} (b) 100 per call"),
        _at_least(medians, pg, "b", "raw", 0.8, f"{pg} (b) 100 per call"),
        _at_least(medians, pg, "c", "eventsourcing", 1.0, f"{pg} (c) stream read"),
        _at_least(medians, pg, "d", "eventsourcing", 1.0, f"{pg} (d) log read"),
        _at_least(medians, lite, "a", "eventsourcing", 1.2, f"{lite} (a) single appends"),
        _at_least(medians, lite, "e", "eventsourcing", 1.2, f"{lite} (e) 4 writers"),
        _at_least(medians, lite, "b", "eventsourcing", 1.0, f"{lite} (b) 100 per call"),
        _at_least(medians, "memory", "a", "eventsourcing", 1.0, "memory (a) single appends"),
        _at_least(medians, "memory", "b", "eventsourcing", 1.0, "memory (b) 100 per call"),
    ]
    verdicts += _write_path(medians, pg, lite)
    rows = sorted({str(entry["row"]) for entry in medians}, key=_row_order)
    verdicts += [_contention(medians, row) for row in rows]
    verdicts += [_growth(medians, row) for row in ("memory", lite, pg)]
    verdicts += [_memory(medians, row) for row in ("memory", lite, pg)]
    return verdicts


def _write_path(medians: Medians, pg: str, lite: str) -> list[Verdict]:
    """Issue 18's targets for the write path (the (b) one on SQLite is above)."""
    return [
        _at_least(medians, lite, "a", "eventsourcing", 1.0, f"issue 18: {lite} (a)"),
        _at_least(medians, lite, "a", "raw", 0.95, f"issue 18: {lite} (a)"),
        _at_least(medians, pg, "a", "raw", 0.7, f"issue 18: {pg} (a)"),
        _at_least(medians, pg, "e", "raw", 0.6, f"issue 18: {pg} (e) 4 writers"),
    ]


def _row_order(row: str) -> int:
    from .backends import ROWS

    keys = [item.key for item in ROWS]
    return keys.index(row) if row in keys else len(keys)


def verdict_mark(verdict: Verdict) -> str:
    """``met``, ``NOT MET`` or ``not measured``."""
    return {True: "met", False: "NOT MET", None: "not measured"}[verdict.met]


def as_dicts(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    """The verdicts as JSON-friendly dicts."""
    return [{**asdict(verdict), "verdict": verdict_mark(verdict)} for verdict in verdicts]
