"""Output: the JSON results file and the Markdown tables."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .backends import ROWS
from .summary import Medians, lookup
from .targets import as_dicts, check_targets, verdict_mark

__all__ = ["markdown", "write_results"]

TITLES = {
    "a": "(a) 1 event per call",
    "b": "(b) 100 events per call",
    "c": "(c) read 1 stream, decoded",
    "d": "(d) read the log in pages",
    "e": "(e) 4 writers, own streams",
    "f": "(f) 4 writers, 1 stream",
}


def write_results(document: dict[str, Any], path: Path) -> Path:
    """Write the JSON document and, beside it, the Markdown report; return the latter."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document["targets"] = as_dicts(check_targets(document["medians"]))
    path.write_text(json.dumps(document, indent=2, default=_json_default) + "\n")
    report = path.with_suffix(".md")
    report.write_text(markdown(document))
    return report


def _json_default(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def markdown(document: dict[str, Any]) -> str:
    """The run's header, throughput, growth, memory and targets tables."""
    medians: Medians = document["medians"]
    machine = document["machine"]
    lines = [
        f"Run {document['started_at']}, mode **{document['mode']}**, "
        f"{document['duration_seconds']:.0f} s; {machine['cpu']}, {machine['cores']} cores, "
        f"Python {machine['python']}, SQLite {machine['sqlite']}, "
        f"PostgreSQL {machine['postgres']}, eventsourcing "
        f"{machine['packages'].get('eventsourcing')}, tidings at {machine.get('commit')}; "
        "load average "
        f"{machine['load_before'][0]} before, {document['load_after'][0]} after.",
        "",
        "Events per second: the median over interleaved rounds (contenders alternate, "
        "the first one rotating); ratios are tidings ÷ the other.",
        *_size_notes(document["sizes"], document["mode"]),
        "",
        "| backend | scenario | tidings | eventsourcing | raw driver | ÷ peer | ÷ raw | notes |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for row in ROWS:
        for scenario, title in TITLES.items():
            mine = lookup(medians, row.key, scenario, "tidings")
            peer = lookup(medians, row.key, scenario, "eventsourcing")
            raw = lookup(medians, row.key, scenario, "raw")
            if not (mine or peer):
                continue
            lines.append(
                f"| {row.key} | {title} | {_rate(mine)} | {_rate(peer)} | {_rate(raw)} "
                f"| {_ratio(mine, peer)} | {_ratio(mine, raw)} | {_notes(scenario, mine, peer)} |"
            )
    lines += _async_table(medians, document["sizes"])
    lines += _growth_table(medians) + _memory_table(medians) + _targets_table(medians)
    if document["skipped"]:
        lines += [
            "",
            "Skipped: " + "; ".join(f"{s['row']} ({s['reason']})" for s in document["skipped"]),
        ]
    errors = [run for run in document["runs"] if run["kind"] == "error"]
    if errors:
        lines += [
            "",
            "Failed runs: "
            + "; ".join(
                f"{e['row']} {e['scenario']} {e['contender']}: {e['error']}" for e in errors
            ),
        ]
    return "\n".join(lines) + "\n"


def _size_notes(sizes: dict[str, int], mode: str) -> list[str]:
    if mode == "full":
        return []
    return [
        "",
        f"**{mode.capitalize()} mode: smaller than the issue's workload.** (a) "
        f"{sizes['a_streams']:,} streams x {sizes['a_events']} events; (g) and (h) with "
        f"{sizes['g_stored']:,} and {sizes['h_events']:,} events instead of 1,000,000. "
        "Use the full run for the record.",
    ]


def _rate(entry: dict[str, Any] | None) -> str:
    return "-" if entry is None else f"{entry['rate']:,.0f}"


def _ratio(mine: dict[str, Any] | None, other: dict[str, Any] | None) -> str:
    if mine is None or other is None:
        return "-"
    return f"{mine['rate'] / other['rate']:.2f}x"


def _notes(scenario: str, mine: dict[str, Any] | None, peer: dict[str, Any] | None) -> str:
    parts = []
    if scenario == "a":
        for label, entry in (("tidings", mine), ("es", peer)):
            if entry:
                parts.append(f"{label} p50 {_ms(entry['p50_ms'])} / p99 {_ms(entry['p99_ms'])} ms")
    if scenario == "f":
        for label, entry in (("tidings", mine), ("es", peer)):
            if entry:
                intact = "intact" if entry.get("positions_ok") else "BROKEN"
                parts.append(f"{label} {entry['conflict_share']:.0%} conflicts, positions {intact}")
    return "; ".join(parts)


def _ms(value: float) -> str:
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


def _async_table(medians: Medians, sizes: dict[str, int]) -> list[str]:
    found = [
        (
            row.key,
            lookup(medians, row.key, "i", "tidings-async"),
            lookup(medians, row.key, "i", "tidings"),
        )
        for row in ROWS
    ]
    if not any(mine or sync for _, mine, sync in found):
        return []
    tasks, threads = sizes["i_tasks"], sizes["e_threads"]
    lines = [
        "",
        f"(i) Async: {tasks} asyncio tasks on one `connect_async` store against the sync "
        f"store's {threads} threads, doing the writes of (e) in alternating rounds (single "
        "events, streams of their own). The last column is (e)'s own sync figure.",
        "",
        f"| backend | async, {tasks} tasks | sync, {threads} threads | async ÷ sync "
        f"| (e) tidings |",
        "|---|--:|--:|--:|--:|",
    ]
    for row, mine, sync in found:
        if mine or sync:
            alone = lookup(medians, row, "e", "tidings")
            lines.append(
                f"| {row} | {_rate(mine)} | {_rate(sync)} | {_ratio(mine, sync)} | {_rate(alone)} |"
            )
    return lines


def _growth_table(medians: Medians) -> list[str]:
    entries = [entry for entry in medians if entry["scenario"] == "g"]
    if not entries:
        return []
    lines = [
        "",
        "(g) Growth: a store with N events against one holding a single page "
        "(loading is setup, through each system's public API, 1,000 events per call).",
        "",
        "| backend | system | N | append p50, empty → N | first page, empty → N | load time |",
        "|---|---|--:|---|---|--:|",
    ]
    for entry in entries:
        lines.append(
            f"| {entry['row']} | {entry['contender']} | {int(entry['stored']):,} "
            f"| {entry['append_p50_empty_ms']:.3f} → {entry['append_p50_loaded_ms']:.3f} ms "
            f"(**{entry['append_ratio']:.2f}x**) "
            f"| {entry['first_page_empty_ms']:.2f} → {entry['first_page_loaded_ms']:.2f} ms "
            f"(**{entry['first_page_ratio']:.2f}x**) | {entry['load_seconds']:.0f} s |"
        )
    return lines


def _memory_table(medians: Medians) -> list[str]:
    entries = [entry for entry in medians if entry["scenario"] == "h"]
    if not entries:
        return []
    lines = [
        "",
        "(h) Peak RSS of a child process iterating the whole log lazily, keeping nothing.",
        "",
        "| backend | system | events | RSS before | peak growth | events/s |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for entry in entries:
        lines.append(
            f"| {entry['row']} | {entry['contender']} | {int(entry['events']):,} "
            f"| {entry['rss_before_mb']:.0f} MB | **{entry['rss_growth_mb']:.1f} MB** "
            f"| {entry['events'] / entry['seconds']:,.0f} |"
        )
    return lines


def _targets_table(medians: Medians) -> list[str]:
    lines = ["", "| target | wanted | measured | verdict |", "|---|---|---|---|"]
    for verdict in check_targets(medians):
        lines.append(
            f"| {verdict.target} | {verdict.wanted} | {verdict.measured} "
            f"| {verdict_mark(verdict)} |"
        )
    return lines
