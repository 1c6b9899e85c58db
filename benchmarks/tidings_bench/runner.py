"""Runs the chosen scenarios on the chosen rows, alternating contenders, and records
every run."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from .backends import Location, Places, Row
from .contenders import CONTENDERS, Contender, open_contender, takes_part
from .growth import Loaded, measure_growth
from .machine import describe_machine
from .rss import measure_rss
from .scenarios import SCENARIOS, Scenario
from .sizes import Sizes
from .summary import summarise

__all__ = ["Plan", "run_plan"]

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Plan:
    """What to run."""

    rows: list[Row]
    scenarios: str
    sizes: Sizes
    postgres_url: str


def run_plan(plan: Plan, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run ``plan``; return the results document (every run, medians, the machine)."""
    started = time.time()
    document: dict[str, Any] = {
        "harness": "tidings_bench",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": plan.sizes.label,
        "sizes": asdict(plan.sizes),
        "scenarios": plan.scenarios,
        "rows": [row.key for row in plan.rows],
        "machine": describe_machine(plan.postgres_url),
    }
    runs: list[Record] = []
    skipped: list[Record] = []
    with Places(plan.postgres_url) as places:
        if any(row.backend == "postgres" for row in plan.rows):
            try:
                places.drop_leftovers()
            except Exception as error:  # noqa: BLE001 - reported as a skip below
                say(f"PostgreSQL unreachable: {error}")
        for row in plan.rows:
            reason = _unavailable(row, places)
            if reason:
                say(f"skip {row.key}: {reason}")
                skipped.append({"row": row.key, "reason": reason})
                continue
            runs.extend(_run_row(row, plan, places, say))
    document["load_after"] = _load_average()
    document["duration_seconds"] = round(time.time() - started, 1)
    document["skipped"] = skipped
    document["runs"] = runs
    document["medians"] = summarise(runs)
    return document


def _run_row(row: Row, plan: Plan, places: Places, say: Callable[[str], None]) -> list[Record]:
    records: list[Record] = []
    for letter in plan.scenarios:
        if letter in SCENARIOS:
            found = _run_scenario(row, SCENARIOS[letter](plan.sizes), places)
            records.extend(found)
            for entry in summarise(found):
                say(_progress(entry))
    if not row.primary:
        return records
    peers = ("tidings", "eventsourcing")
    loaded: list[Loaded] = []
    found = []
    if "g" in plan.scenarios:
        say(f"{row.key}: (g) loading {plan.sizes.g_stored:,} events per contender")
        try:
            results, loaded = measure_growth(row, places, plan.sizes, peers, "h" in plan.scenarios)
            found += [_tagged(row, "g", result) for result in results]
        except Exception as error:  # noqa: BLE001 - recorded, the run goes on
            found.append(_failure(row, "g", "*", error))
    if "h" in plan.scenarios:
        try:
            results = measure_rss(row, places, plan.sizes.h_events, peers, loaded)
            found += [_tagged(row, "h", result) for result in results]
        except Exception as error:  # noqa: BLE001 - recorded, the run goes on
            found.append(_failure(row, "h", "*", error))
    for entry in summarise(found):
        say(_progress(entry))
    return records + found


def _run_scenario(row: Row, scenario: Scenario, places: Places) -> list[Record]:
    """Every contender on a fresh location; rounds alternate, the first one rotating."""
    letter = scenario.letter
    records: list[Record] = []
    opened: dict[str, tuple[Location, Contender[Any], dict[str, Any]]] = {}
    try:
        for label in CONTENDERS:
            if not takes_part(label, row.backend, letter):
                continue
            location = places.fresh(row)
            try:
                contender = open_contender(label, location)
                opened[label] = (location, contender, scenario.setup(contender))
            except Exception as error:  # noqa: BLE001 - recorded, the run goes on
                records.append(_failure(row, letter, label, error))
                places.discard(location)
        labels = list(opened)
        failed: set[str] = set()
        for index in range(scenario.rounds):
            shift = index % max(len(labels), 1)
            for label in labels[shift:] + labels[:shift]:
                if label in failed:
                    continue
                _, contender, state = opened[label]
                try:
                    measure = scenario.run_round(contender, state, index)
                except Exception as error:  # noqa: BLE001 - recorded, the run goes on
                    failed.add(label)
                    records.append(_failure(row, letter, label, error))
                    continue
                records.append(
                    {
                        "row": row.key,
                        "scenario": letter,
                        "contender": label,
                        "kind": "round",
                        "round": index,
                        "events": measure.events,
                        "seconds": measure.seconds,
                        "rate": measure.rate,
                        **measure.extra,
                    }
                )
        for label in labels:
            if label not in failed:
                _, contender, state = opened[label]
                final = scenario.finish(contender, state)
                records.append(
                    {
                        "row": row.key,
                        "scenario": letter,
                        "contender": label,
                        "kind": "final",
                        **final,
                    }
                )
    finally:
        for location, contender, _ in opened.values():
            contender.close()
            places.discard(location)
    return records


def _tagged(row: Row, scenario: str, result: dict[str, Any]) -> Record:
    return {"row": row.key, "scenario": scenario, "kind": "result", **result}


def _failure(row: Row, scenario: str, label: str, error: Exception) -> Record:
    print("".join(traceback.format_exception(error)), file=sys.stderr)
    return {
        "row": row.key,
        "scenario": scenario,
        "contender": label,
        "kind": "error",
        "error": f"{type(error).__name__}: {error}",
    }


def _unavailable(row: Row, places: Places) -> str | None:
    """Why ``row`` cannot run (its adapter or server is missing), or None."""
    try:
        location = places.fresh(row)
    except Exception as error:  # noqa: BLE001 - the reason is reported
        return f"{type(error).__name__}: {error}"
    try:
        open_contender("tidings", location).close()
        open_contender("eventsourcing", location).close()
    except Exception as error:  # noqa: BLE001 - the reason is reported
        return f"{type(error).__name__}: {error}"
    finally:
        places.discard(location)
    return None


def _progress(entry: Record) -> str:
    head = f"{entry['row']:<18} {entry['scenario']} {entry['contender']:<13}"
    if "rate" in entry:
        head += f" {entry['rate']:>10,.0f} ev/s over {entry['rounds']} rounds"
    keys = (
        "p50_ms",
        "p99_ms",
        "conflict_share",
        "positions_ok",
        "append_ratio",
        "first_page_ratio",
        "load_seconds",
        "rss_growth_mb",
    )
    return head + "".join(
        f" {key}={entry[key]:.3g}" if isinstance(entry[key], float) else f" {key}={entry[key]}"
        for key in keys
        if key in entry
    )


def _load_average() -> list[float]:
    import os

    return [round(value, 2) for value in os.getloadavg()]
