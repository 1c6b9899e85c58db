"""The command line (issue 15): ``tidings copy`` from SQLite to PostgreSQL and
``tidings export`` to JSON lines, each against a peer in the same run.

``cd benchmarks && uv run python -m tidings_bench.cli_rows [--quick] [--events N]``
writes ``results/cli-<mode>-<time>.json`` and the Markdown report beside it, and prints
the report. It needs the workspace environment (``tidings-cli`` and ``sqlite-utils``
are installed there), not the ``bench`` tox environment.

- **copy**: ``tidings copy --from sqlite:///... --to postgresql://...?schema=... --silent``
  into a fresh schema, as a user runs it (a subprocess, verification included), against
  the raw ceiling: the same rows read with ``sqlite3`` and written with psycopg's binary
  ``COPY`` into a table of the same columns, identity key and unique constraints, with
  no checks, no decoding and no verification. Target: >= 50,000 events/s.
- **export**: ``tidings export --url sqlite:///... --silent`` against
  ``sqlite-utils rows FILE events --nl``, on the same file, stdout to a file. Target:
  >= 1.0x sqlite-utils.

The source store is built once per run: a few thousand events published through
tidings (so payloads, times and ids are encoded as tidings writes them), then repeated
with the raw driver under new ids and stream names up to the wanted size, so that a
million events take seconds, not minutes. Rounds alternate the contenders.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

from .backends import DEFAULT_POSTGRES_URL, RESULTS
from .machine import describe_machine

__all__ = ["main", "run"]

Record = dict[str, Any]

COPY_TARGET = 50_000
"""Events per second that ``tidings copy`` must reach (issue 15)."""
EXPORT_TARGET = 1.0
"""``tidings export`` ÷ ``sqlite-utils rows --nl``, in events per second (issue 15)."""

ROWS = ("export", "copy")

_BASE_STREAMS = 100
_BASE_PER_STREAM = 10
_CATEGORIES = 10


def _bin(name: str) -> str:
    """A console script of this environment (``tidings``, ``sqlite-utils``)."""
    found = Path(sys.executable).with_name(name)
    if not found.exists():
        raise SystemExit(f"{name} is not installed beside {sys.executable}; run uv sync")
    return str(found)


def build_source(path: Path, events: int) -> int:
    """A SQLite store of about ``events`` events in 1,000 streams per 100,000 events;
    returns the exact count."""
    import tidings
    from tidings import NewEvent

    base = _BASE_STREAMS * _BASE_PER_STREAM
    copies = max(1, events // base)
    with tidings.connect(f"sqlite:///{path}", synchronous="normal") as store:
        for position in range(_BASE_PER_STREAM):
            for category in range(_CATEGORIES):
                per_category = _BASE_STREAMS // _CATEGORIES
                store.category(category=f"orders{category}").publish(
                    streams={
                        f"o{category}-{stream}": [
                            NewEvent(
                                name="item-added" if position else "order-placed",
                                payload={
                                    "sku": f"SKU-{stream}-{position}",
                                    "qty": position % 5 + 1,
                                    "price": 12.5,
                                    "tags": ["gift", "express"],
                                    "note": "ünïcode ✓",
                                },
                                metadata={"user": f"u{stream}", "correlation": str(uuid.uuid4())},
                            )
                        ]
                        for stream in range(per_category)
                    }
                )
    columns = "category, stream, position, name, payload, metadata, occurred_at, observed_at"
    with sqlite3.connect(path) as db:
        # Copy k (from 1) holds the base's streams with suffix (k - 1) % 10, positions
        # shifted by 10 x ((k - 1) // 10): every stream continues in log order.
        for copy in range(1, copies):
            shift = _BASE_PER_STREAM * ((copy - 1) // 10)
            db.execute(
                f"INSERT INTO events (id, {columns}, recorded_at) "
                f"SELECT id || '-{copy}', category, stream || '-{(copy - 1) % 10}', "
                f"position + {shift}, name, payload, metadata, occurred_at, observed_at, "
                f"recorded_at + {copy} FROM events WHERE sequence_number <= {base} "
                "ORDER BY sequence_number"
            )
        db.commit()
        (count,) = db.execute("SELECT count(*) FROM events").fetchone()
    db.close()
    return int(count)


def _run(command: list[str], out: Path) -> tuple[float, float]:
    """Seconds that ``command`` takes, on the clock and in CPU time (user and system, of
    the process and its children), stdout to ``out``; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with out.open("wb") as sink:
        result = subprocess.run(command, stdout=sink, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"{command[:2]} failed: {result.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def _schema_url(postgres_url: str, schema: str) -> str:
    joiner = "&" if "?" in postgres_url else "?"
    return f"{postgres_url}{joiner}schema={schema}"


def _drop(postgres_url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _raw_copy(path: Path, postgres_url: str, schema: str) -> tuple[float, float]:
    """The ceiling: sqlite3 rows to psycopg's binary COPY, nothing else."""
    import psycopg

    _drop(postgres_url, schema)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(
            f'CREATE TABLE "{schema}".events (sequence_number bigint GENERATED ALWAYS AS '
            "IDENTITY PRIMARY KEY, id text NOT NULL UNIQUE, name text NOT NULL, category "
            "text NOT NULL, stream text NOT NULL, position bigint NOT NULL, payload text NOT "
            "NULL, metadata text NOT NULL, occurred_at bigint NOT NULL, observed_at bigint "
            "NOT NULL, recorded_at bigint NOT NULL, UNIQUE (category, stream, position))"
        )
    columns = (
        "id, name, category, stream, position, payload, metadata, occurred_at, observed_at, "
        "recorded_at"
    )
    types = ["text"] * 4 + ["int8", "text", "text"] + ["int8"] * 3
    started, cpu = time.perf_counter(), time.process_time()
    source = sqlite3.connect(path)
    with psycopg.connect(postgres_url) as conn, conn.cursor() as cursor:
        rows = source.execute(f"SELECT {columns} FROM events ORDER BY sequence_number")
        with cursor.copy(f'COPY "{schema}".events ({columns}) FROM STDIN (FORMAT BINARY)') as copy:
            copy.set_types(types)
            while chunk := rows.fetchmany(10_000):
                for row in chunk:
                    copy.write_row(row)
        conn.commit()
    source.close()
    return time.perf_counter() - started, time.process_time() - cpu


def run(
    events: int,
    rounds: int,
    postgres_url: str,
    work: Path,
    say: Any,
    *,
    reuse: bool = False,
    rows: tuple[str, ...] = ROWS,
) -> Record:
    """Build the source (or, with ``reuse``, take the one a run left in ``work``), then
    alternate the contenders of each row for ``rounds``."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    machine = describe_machine(postgres_url)  # with the load average before the run
    work.mkdir(parents=True, exist_ok=True)
    source = work / "source.db"
    if reuse and source.exists():
        with sqlite3.connect(source) as db:
            count = int(db.execute("SELECT count(*) FROM events").fetchone()[0])
        db.close()
        say(f"reusing {source}: {count:,} events")
    else:
        for leftover in work.glob("source.db*"):
            leftover.unlink()
        say(f"building a SQLite store of {events:,} events in {source}")
        started = time.perf_counter()
        count = build_source(source, events)
        say(f"  {count:,} events in {time.perf_counter() - started:.1f} s")
    url = f"sqlite:///{source}"
    tidings, sqlite_utils = _bin("tidings"), _bin("sqlite-utils")
    out = work / "out.jsonl"
    runs: list[Record] = []
    schema = f"bench_cli_{os.getpid()}"
    for number in range(rounds):
        order = ["tidings", "peer"] if number % 2 == 0 else ["peer", "tidings"]
        for contender in order if "export" in rows else ():
            if contender == "tidings":
                command = [tidings, "export", "--url", url, "--silent"]
            else:
                command = [sqlite_utils, "rows", str(source), "events", "--nl"]
            seconds, cpu = _run(command, out)
            lines = sum(1 for _ in out.open("rb"))
            runs.append(
                {
                    "row": "export",
                    "contender": contender,
                    "round": number,
                    "seconds": seconds,
                    "cpu_seconds": cpu,
                    "events": lines,
                    "rate": lines / seconds,
                    "cpu_rate": lines / cpu,
                }
            )
            say(
                f"  export {contender:8} round {number}: {lines / seconds:,.0f} events/s, "
                f"{lines / cpu:,.0f} per CPU second"
            )
        for contender in order if "copy" in rows else ():
            if contender == "tidings":
                _drop(postgres_url, schema)
                target = _schema_url(postgres_url, schema)
                seconds, cpu = _run(
                    [tidings, "copy", "--from", url, "--to", target, "--silent"], out
                )
            else:
                seconds, cpu = _raw_copy(source, postgres_url, schema)
            runs.append(
                {
                    "row": "copy",
                    "contender": contender,
                    "round": number,
                    "seconds": seconds,
                    "cpu_seconds": cpu,
                    "events": count,
                    "rate": count / seconds,
                    "cpu_rate": count / cpu,
                }
            )
            say(f"  copy   {contender:8} round {number}: {count / seconds:,.0f} events/s")
    _drop(postgres_url, schema)
    out.unlink(missing_ok=True)
    return {
        "kind": "cli",
        "started": started,
        "events": count,
        "rounds": rounds,
        "machine": machine,
        "load_after": [round(value, 2) for value in os.getloadavg()],
        "runs": runs,
        "summary": summarise(runs),
    }


def summarise(runs: list[Record]) -> Record:
    """Medians per row and contender, the ratios and the verdicts, for the rows run."""
    summary: Record = {}
    for row in ROWS:
        rates: Record = {}
        for contender in ("tidings", "peer"):
            mine = [r for r in runs if r["row"] == row and r["contender"] == contender]
            if not mine:
                break
            rates[contender] = median(r["rate"] for r in mine)
            rates[f"{contender}_cpu"] = median(r["cpu_rate"] for r in mine)
        else:
            ratio = rates["tidings"] / rates["peer"]
            cpu_ratio = rates["tidings_cpu"] / rates["peer_cpu"]
            if row == "export":
                target, met = f">= {EXPORT_TARGET}x sqlite-utils rows --nl", ratio >= 1.0
            else:
                target, met = f">= {COPY_TARGET:,} events/s", rates["tidings"] >= COPY_TARGET
            summary[row] = {
                **rates,
                "ratio": ratio,
                "cpu_ratio": cpu_ratio,
                "target": target,
                "met": met,
            }
    return summary


_LABELS = {
    "export": "`tidings export` to JSON lines (peer: `sqlite-utils rows --nl`)",
    "copy": "`tidings copy` SQLite → PostgreSQL, verified (peer: raw sqlite3 → COPY)",
}


def markdown(document: Record) -> str:
    """The rows with their verdicts."""
    summary = document["summary"]
    machine = document["machine"]
    verdict = {True: "met", False: "NOT MET"}
    lines = [
        f"Run {document['started']}, {document['events']:,} events, "
        f"{document['rounds']} rounds; {machine.get('cpu', '?')}, "
        f"{machine.get('cores', '?')} cores; load average {machine.get('load_before')} "
        f"before, {document.get('load_after')} after.",
        "",
        "| row | tidings | peer | ÷ peer | per CPU second: tidings, peer, ÷ | target | verdict |",
        "|---|--:|--:|--:|---|---|---|",
    ]
    for row, entry in summary.items():
        lines.append(
            f"| {_LABELS[row]} | {entry['tidings']:,.0f}/s | {entry['peer']:,.0f}/s "
            f"| {entry['ratio']:.2f}x | {entry['tidings_cpu']:,.0f}, {entry['peer_cpu']:,.0f}, "
            f"{entry['cpu_ratio']:.2f}x | {entry['target']} | {verdict[entry['met']]} |"
        )
    return "\n".join([*lines, ""])


def main(argv: list[str] | None = None) -> int:
    """Run both rows; print the Markdown report; 1 if a target is not met."""
    parser = argparse.ArgumentParser(prog="python -m tidings_bench.cli_rows")
    parser.add_argument("--quick", action="store_true", help="100,000 events, two rounds")
    parser.add_argument("--events", type=int, help="source size (default 1,000,000)")
    parser.add_argument("--rounds", type=int, help="rounds per contender (default 3)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--work", type=Path, help="where the source file goes (a temp dir)")
    parser.add_argument("--rows", default="export,copy", help="export, copy or both")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the source a run left in --work, if any"
    )
    parser.add_argument("--out", type=Path, help="results JSON; the Markdown goes beside it")
    options = parser.parse_args(argv)
    events = options.events or (100_000 if options.quick else 1_000_000)
    rounds = options.rounds or (2 if options.quick else 3)
    mode = "quick" if options.quick else "full"
    work = (
        options.work or Path(os.environ.get("TMPDIR", "/tmp")) / f"tidings-cli-bench-{os.getpid()}"
    )
    try:
        document = run(
            events,
            rounds,
            options.postgres_url,
            work,
            _say,
            reuse=options.reuse,
            rows=tuple(row for row in ROWS if row in options.rows.split(",")),
        )
    finally:
        if options.work is None:
            shutil.rmtree(work, ignore_errors=True)
    document["mode"] = mode
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = options.out or RESULTS / f"cli-{mode}-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    report = out.with_suffix(".md")
    report.write_text(markdown(document))
    print(report.read_text())
    print(f"results: {out} and {report}", file=sys.stderr)
    return 0 if all(entry["met"] for entry in document["summary"].values()) else 1


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
