"""The command line: ``python -m tidings_bench [--quick] [--scenarios ...] ...``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from .backends import DEFAULT_POSTGRES_URL, RESULTS, select_rows
from .report import write_results
from .runner import Plan, run_plan
from .sizes import FULL, QUICK, parse_overrides

__all__ = ["main"]

ALL_SCENARIOS = "abcdefghi"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tidings_bench",
        description="tidings beside eventsourcing and the raw drivers, in one run.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each")
    parser.add_argument(
        "--scenarios",
        default=ALL_SCENARIOS,
        help="letters a-i, comma separated or not (default: all)",
    )
    parser.add_argument(
        "--backends",
        default="memory,sqlite,postgres",
        help="memory, sqlite, postgres, or row keys such as sqlite-full, postgres-log",
    )
    parser.add_argument(
        "--sizes", help="overrides, e.g. a_streams=500,g_stored=200000 (see sizes.py)"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument(
        "--out",
        type=Path,
        help="results JSON (default benchmarks/results/<mode>-<time>.json); Markdown beside it",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the harness; print the Markdown report; return the exit status.
    ``subscriptions ...`` runs :mod:`tidings_bench.subscriptions` instead, and
    ``typed ...`` :mod:`tidings_bench.typed`."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["subscriptions"]:
        from .subscriptions import main as subscriptions_main

        return subscriptions_main(args[1:])
    if args[:1] == ["typed"]:
        from .typed import main as typed_main

        return typed_main(args[1:])
    options = _parser().parse_args(args)
    try:
        sizes = parse_overrides(QUICK if options.quick else FULL, options.sizes)
        rows = select_rows(options.backends)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    scenarios = "".join(ch for ch in options.scenarios.lower() if ch in ALL_SCENARIOS)
    plan = Plan(rows, scenarios, sizes, options.postgres_url)
    document = run_plan(plan, say=lambda line: print(line, file=sys.stderr, flush=True))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = options.out or RESULTS / f"{sizes.label}-{stamp}.json"
    report = write_results(document, out)
    print(report.read_text())
    print(f"results: {out} and {report}", file=sys.stderr)
    failed = any(run["kind"] == "error" for run in document["runs"])
    return 1 if failed or document["skipped"] or not document["runs"] else 0
