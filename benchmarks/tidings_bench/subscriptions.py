"""Subscriptions and consumers (issue 11): latency, consumer throughput, and the
PostgreSQL write figures at each ordering level, in one run.

``python -m tidings_bench.subscriptions [--quick] [--parts latency,throughput,writes]``
(or ``python -m tidings_bench subscriptions ...``) writes
``results/subscriptions-<mode>-<time>.json`` and the Markdown report beside it, and
prints the report. The parts:

- ``latency`` (:mod:`tidings_bench.follow_latency`): publish to handler, p50 and p99,
  on PostgreSQL with notifications while 4 writer threads publish (and, for reference,
  with notifications off), and on SQLite with the writer in another process;
- ``throughput`` (:mod:`tidings_bench.consumer_throughput`): an exactly-once projection
  consumer against eventsourcing's ``ProjectionRunner`` and against the raw scan;
- ``writes``: scenarios (a), (b) and (e) of the main harness on the three PostgreSQL
  ordering levels, each against eventsourcing and the raw driver in interleaved rounds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .backends import DEFAULT_POSTGRES_URL, RESULTS, Places, select_rows
from .consumer_throughput import CONTENDERS, measure_consumer_throughput
from .follow_latency import CASES, measure_latency
from .machine import describe_machine
from .runner import Plan, run_plan
from .sizes import FULL, QUICK
from .stats import median
from .summary import lookup

__all__ = ["main", "markdown", "run"]

PARTS = ("latency", "throughput", "writes")
Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SubscriptionSizes:
    """How much work each part does."""

    latency_events: int
    """Events per latency round, shared among the case's writers."""
    latency_rounds: int
    streams: int
    per_stream: int
    """Throughput: ``streams`` x ``per_stream`` events consumed per round."""
    throughput_rounds: int


FULL_SIZES = SubscriptionSizes(1_000, 5, 250, 20, 3)
QUICK_SIZES = SubscriptionSizes(200, 2, 50, 20, 2)

TARGETS = {
    "postgres_p50_ms": 5.0,
    "postgres_p99_ms": 50.0,
    "sqlite_p50_ms": 20.0,
    "vs_eventsourcing": 2.0,
    "vs_scan": 0.5,
}


def run(
    parts: list[str],
    quick: bool,
    postgres_url: str,
    say: Callable[[str], None],
    writes_quick: bool | None = None,
) -> Record:
    """Run ``parts``; return the results document. The writes part uses the main
    harness's quick sizes when ``writes_quick`` (default: as ``quick``)."""
    writes_quick = quick if writes_quick is None else writes_quick
    sizes = QUICK_SIZES if quick else FULL_SIZES
    started = time.time()
    document: Record = {
        "harness": "tidings_bench.subscriptions",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "parts": parts,
        "writes_mode": "quick" if writes_quick else "full",
        "sizes": asdict(sizes),
        "machine": describe_machine(postgres_url),
        "targets": TARGETS,
    }
    say(f"load average at the start: {document['machine']['load_before']}")
    with Places(postgres_url) as places:
        try:
            places.drop_leftovers()
        except Exception as error:  # noqa: BLE001 - the PostgreSQL parts will fail and say so
            say(f"PostgreSQL unreachable: {error}")
        if "latency" in parts:
            document["latency"] = measure_latency(
                places, list(CASES.values()), sizes.latency_events, sizes.latency_rounds, say
            )
        if "throughput" in parts:
            document["throughput"] = measure_consumer_throughput(
                places, sizes.streams, sizes.per_stream, sizes.throughput_rounds, say
            )
    if "writes" in parts:
        plan = Plan(select_rows("postgres"), "abe", QUICK if writes_quick else FULL, postgres_url)
        document["writes"] = run_plan(plan, say)
    document["load_after"] = [round(value, 2) for value in os.getloadavg()]
    document["duration_seconds"] = round(time.time() - started, 1)
    return document


def markdown(document: Record) -> str:
    """The report: header, latency, throughput, write figures and target verdicts."""
    machine = document["machine"]
    lines = [
        f"Run {document['started_at']}, mode **{document['mode']}**, "
        f"{document['duration_seconds']:.0f} s; {machine['cpu']}, {machine['cores']} cores, "
        f"Python {machine['python']}, SQLite {machine['sqlite']}, PostgreSQL "
        f"{machine['postgres']}, eventsourcing {machine['packages'].get('eventsourcing')}, "
        f"tidings at {machine.get('commit')}; load average {machine['load_before']} before, "
        f"{document['load_after']} after.",
    ]
    verdicts: list[tuple[str, str, str, bool | None]] = []
    if "latency" in document:
        lines += _latency_table(document["latency"], verdicts)
    if "throughput" in document:
        lines += _throughput_table(document["throughput"], verdicts)
    if "writes" in document:
        lines += _writes_table(document["writes"])
    if verdicts:
        lines += ["", "| target | wanted | measured | verdict |", "|---|---|---|---|"]
        for name, wanted, measured, met in verdicts:
            mark = "n/a" if met is None else "met" if met else "NOT MET"
            lines.append(f"| {name} | {wanted} | {measured} | {mark} |")
    return "\n".join(lines) + "\n"


def _latency_table(
    records: list[Record], verdicts: list[tuple[str, str, str, bool | None]]
) -> list[str]:
    groups: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in records:
        if "error" not in record:
            groups[(record["case"], record["follower"])].append(record)
    failed = [r for r in records if "error" in r]
    lines = [
        "",
        *(
            f"Failed: latency {r['case']} {r['follower']} round {r['round']}: {r['error']}"
            for r in failed
        ),
        *([""] if failed else []),
        "Latency, publish call to follower (medians over rounds of each round's p50 and "
        "p99, in ms); after commit = from the publish's return; publish = the publish call "
        "itself.",
        "",
        "| case | follower | writers | rounds | received (dup.) | p50 | p99 | after commit p50 "
        "| after commit p99 | publish p50 | writes/s | longest horizon stall |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    summary: dict[tuple[str, str], Record] = {}
    for (case, follower), members in groups.items():
        entry = {key: median([m[key] for m in members]) for key in _LATENCY_KEYS}
        for key in ("received", "expected", "duplicates"):
            entry[key] = sum(m[key] for m in members)
        ages = [m["horizon_stall_s"] for m in members]
        entry["stalled"] = max((a for a in ages if not math.isnan(a)), default=math.nan)
        summary[(case, follower)] = entry
        writers = members[0]["writers"]
        where = "threads" if case.startswith("postgres") else "process"
        pace = f", one per {members[0]['pace_ms']:g} ms" if members[0]["pace_ms"] else ""
        lines.append(
            f"| {case} | {follower} | {writers} ({where}{pace}) | {len(members)} "
            f"| {entry['received']}/{entry['expected']} ({entry['duplicates']}) "
            f"| {entry['p50_ms']:.1f} | {entry['p99_ms']:.1f} "
            f"| {entry['after_commit_p50_ms']:.1f} | {entry['after_commit_p99_ms']:.1f} "
            f"| {entry['publish_p50_ms']:.1f} | {entry['write_rate']:,.0f} "
            f"| {_seconds(entry['stalled'])} |"
        )
    pg = summary.get(("postgres", "consumer"))
    if pg:
        verdicts.append(
            (
                "PostgreSQL latency with notifications, 4 writers (consumer)",
                "p50 <= 5 ms, p99 <= 50 ms",
                f"p50 {pg['p50_ms']:.1f} ms, p99 {pg['p99_ms']:.1f} ms "
                f"(after commit {pg['after_commit_p50_ms']:.1f} / "
                f"{pg['after_commit_p99_ms']:.1f} ms)",
                pg["p50_ms"] <= TARGETS["postgres_p50_ms"]
                and pg["p99_ms"] <= TARGETS["postgres_p99_ms"],
            )
        )
    peer = summary.get(("postgres-eventsourcing", "subscription"))
    mine = summary.get(("postgres", "subscription"))
    if peer and mine:
        verdicts.append(
            (
                "PostgreSQL latency, tidings subscription ÷ eventsourcing's (lower is better)",
                "(no target)",
                f"p50 {mine['p50_ms'] / peer['p50_ms']:.2f}x, "
                f"p99 {mine['p99_ms'] / peer['p99_ms']:.2f}x",
                None,
            )
        )
    lite = summary.get(("sqlite", "consumer"))
    if lite:
        verdicts.append(
            (
                "SQLite latency across processes (consumer)",
                "p50 <= 20 ms",
                f"p50 {lite['p50_ms']:.1f} ms",
                lite["p50_ms"] <= TARGETS["sqlite_p50_ms"],
            )
        )
    return lines


_LATENCY_KEYS = (
    "p50_ms",
    "p99_ms",
    "after_commit_p50_ms",
    "after_commit_p99_ms",
    "publish_p50_ms",
    "write_rate",
)


def _throughput_table(
    records: list[Record], verdicts: list[tuple[str, str, str, bool | None]]
) -> list[str]:
    failed = [r for r in records if "error" in r]
    records = [r for r in records if "error" not in r]
    rates = {
        label: median([r["rate"] for r in records if r["contender"] == label])
        for label in CONTENDERS
    }
    ok = {label: all(r["counts_ok"] for r in records if r["contender"] == label) for label in rates}
    events = records[0]["events"] if records else 0
    peer, scan = rates["eventsourcing"], rates["tidings-scan"]
    lines = [
        "",
        f"Consumer throughput on PostgreSQL (`ordering=log`): {events:,} stored events "
        "consumed from scratch until caught up, events/s, median over rounds whose order "
        "rotates.",
        "",
        *(f"Failed: {r['contender']} round {r['round']}: {r['error']}" for r in failed),
        *([""] if failed else []),
        "| contender | events/s | ÷ eventsourcing | ÷ raw scan | counts right "
        "| longest horizon stall |",
        "|---|--:|--:|--:|---|--:|",
    ]
    for label in CONTENDERS:
        ages = [r["horizon_stall_s"] for r in records if r["contender"] == label]
        stall = max((a for a in ages if not math.isnan(a)), default=math.nan)
        lines.append(
            f"| {label} | {rates[label]:,.0f} | {rates[label] / peer:.2f}x "
            f"| {rates[label] / scan:.2f}x | {'yes' if ok[label] else 'NO'} "
            f"| {_seconds(stall)} |"
        )
    startups = [r["startup_seconds"] for r in records if "startup_seconds" in r]
    if startups:
        lines += [
            "",
            f"eventsourcing's runner took {median(startups):.2f} s (median) from its "
            "construction to its first event; that is inside its time.",
        ]
    for size in ("100", "1000"):
        mine = rates[f"tidings-projection-{size}"]
        verdicts.append(
            (
                f"consumer throughput, exactly-once, batch_size={size}, vs eventsourcing",
                ">= 2x",
                f"{mine / peer:.2f}x",
                mine / peer >= TARGETS["vs_eventsourcing"],
            )
        )
        verdicts.append(
            (
                f"consumer throughput, exactly-once, batch_size={size}, vs raw scan",
                ">= 0.5x",
                f"{mine / scan:.2f}x",
                mine / scan >= TARGETS["vs_scan"],
            )
        )
    return lines


def _writes_table(document: Record) -> list[str]:
    medians = document["medians"]
    titles = {"a": "(a) 1 event per call", "b": "(b) 100 per call", "e": "(e) 4 writers"}
    lines = [
        "",
        "PostgreSQL writes at each ordering level (events/s, median over rounds interleaved "
        "with eventsourcing and the raw driver on the same level; the main harness's "
        f"{document['mode']} sizes).",
        "",
        "| scenario | level | tidings | eventsourcing | raw | ÷ peer | ÷ raw | p50 / p99 ms |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for letter, title in titles.items():
        for level in ("log", "category", "stream"):
            row = f"postgres-{level}"
            mine = lookup(medians, row, letter, "tidings")
            peer = lookup(medians, row, letter, "eventsourcing")
            raw = lookup(medians, row, letter, "raw")
            if not mine:
                continue
            latency = f"{mine['p50_ms']:.2f} / {mine['p99_ms']:.2f}" if "p50_ms" in mine else ""
            lines.append(
                f"| {title} | {level} | {mine['rate']:,.0f} | {_rate(peer)} | {_rate(raw)} "
                f"| {_ratio(mine, peer)} | {_ratio(mine, raw)} | {latency} |"
            )
    errors = [run for run in document["runs"] if run["kind"] == "error"]
    if errors:
        lines.append("")
        lines += [
            f"Failed: {e['row']} ({e['scenario']}) {e['contender']}: {e['error']}" for e in errors
        ]
    return lines


def _seconds(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f} s"


def _rate(entry: Record | None) -> str:
    return f"{entry['rate']:,.0f}" if entry else "-"


def _ratio(mine: Record | None, other: Record | None) -> str:
    if not mine or not other or not other["rate"]:
        return "-"
    return f"{mine['rate'] / other['rate']:.2f}x"


def _json_default(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tidings_bench.subscriptions",
        description="Subscriptions and consumers: latency, throughput, writes per ordering.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, two rounds")
    parser.add_argument("--parts", default=",".join(PARTS), help="latency,throughput,writes")
    parser.add_argument(
        "--writes-mode",
        choices=("quick", "full"),
        help="sizes of the writes part (default: as --quick says); full takes long on a "
        "loaded machine",
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--out", type=Path, help="results JSON; the Markdown goes beside it")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the chosen parts; print the Markdown report; return the exit status."""
    options = _parser().parse_args(argv)
    parts = [part.strip() for part in options.parts.split(",") if part.strip()]
    unknown = [part for part in parts if part not in PARTS]
    if unknown or not parts:
        print(f"error: unknown part {unknown[:1]}; choose from {', '.join(PARTS)}", file=sys.stderr)
        return 2
    writes_quick = None if options.writes_mode is None else options.writes_mode == "quick"
    document = run(parts, options.quick, options.postgres_url, _say, writes_quick)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = options.out or RESULTS / f"subscriptions-{document['mode']}-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2, default=_json_default) + "\n")
    report = out.with_suffix(".md")
    report.write_text(markdown(document))
    print(report.read_text())
    print(f"results: {out} and {report}", file=sys.stderr)
    return 1 if _failures(document) else 0


def _failures(document: Record) -> list[str]:
    """What went wrong: events a follower never received, wrong counts, failed rounds."""
    found = [
        f"latency {r['case']} {r['follower']} round {r['round']}: "
        + (
            r["error"]
            if "error" in r
            else f"{r['received']}/{r['expected']} received, {r['duplicates']} duplicates, "
            f"{r['strays']} strays"
        )
        for r in document.get("latency", [])
        if "error" in r or r["received"] != r["expected"] or r["duplicates"] or r["strays"]
    ]
    found += [
        f"throughput {r['contender']} round {r['round']}: {r.get('error', 'wrong counts')}"
        for r in document.get("throughput", [])
        if not r.get("counts_ok")
    ]
    writes = document.get("writes")
    if writes:
        found += [
            f"writes {r['row']} ({r['scenario']})" for r in writes["runs"] if r["kind"] == "error"
        ]
    return found


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
