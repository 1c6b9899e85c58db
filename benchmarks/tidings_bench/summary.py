"""Medians over the rounds of each (row, scenario, contender), with its final results."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .stats import median

__all__ = ["Medians", "lookup", "summarise"]

Medians = list[dict[str, Any]]
_KEYS = ("row", "scenario", "contender")


def summarise(runs: list[dict[str, Any]]) -> Medians:
    """One entry per (row, scenario, contender): the median rate over rounds, the
    overall rate, medians of the per-round numbers, and the final checks and results."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        if run.get("kind") != "error":
            groups[tuple(run[key] for key in _KEYS)].append(run)
    medians: Medians = []
    for key, members in groups.items():
        entry: dict[str, Any] = dict(zip(_KEYS, key))
        rounds = [member for member in members if member["kind"] == "round"]
        if rounds:
            entry["rounds"] = len(rounds)
            entry["rate"] = median([member["rate"] for member in rounds])
            entry["events"] = sum(member["events"] for member in rounds)
            entry["seconds"] = sum(member["seconds"] for member in rounds)
            entry["overall_rate"] = entry["events"] / entry["seconds"]
            extras = {field for member in rounds for field in member} - set(_ROUND_FIELDS)
            for field in sorted(extras):
                entry[f"{field}_median"] = median([m[field] for m in rounds if field in m])
        for member in members:
            if member["kind"] != "round":
                entry.update({k: v for k, v in member.items() if k not in _KEYS and k != "kind"})
        medians.append(entry)
    return medians


_ROUND_FIELDS = (*_KEYS, "kind", "round", "events", "seconds", "rate")


def lookup(medians: Medians, row: str, scenario: str, contender: str) -> dict[str, Any] | None:
    """The entry for (row, scenario, contender), or None."""
    for entry in medians:
        if (entry["row"], entry["scenario"], entry["contender"]) == (row, scenario, contender):
            return entry
    return None
