"""(g) Growth: append latency and first-page read time with many events already
stored, against an almost empty store, in alternating rounds on both.

The large store is loaded through each system's own public API in calls of 1,000
events (its fastest public path); loading is setup and is not timed. The "empty" store
holds one page of events, so both first-page reads return a full page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .backends import Location, Places, Row
from .contenders import Contender, open_contender
from .sizes import Sizes
from .stats import median, quiet_gc
from .workload import single_writes

__all__ = ["LOAD_BATCH", "Loaded", "measure_growth"]

LOAD_BATCH = 1_000
NEW_STREAMS_FROM = 10_000_000
"""Appends during the rounds go to streams numbered from here, clear of the loaded ones."""


@dataclass(slots=True)
class Loaded:
    """A contender's large store, kept for (h) once (g) is done."""

    label: str
    location: Location
    stored: int
    """How many events were loaded (``g_stored``)."""
    events: int
    """How many the store holds: the loaded ones plus those the rounds appended."""


def measure_growth(
    row: Row, places: Places, sizes: Sizes, labels: tuple[str, ...], keep: bool
) -> tuple[list[dict[str, Any]], list[Loaded]]:
    """One result per contender; with ``keep``, the loaded locations stay for (h)."""
    stores: dict[tuple[str, str], tuple[Location, Contender[Any]]] = {}
    results: list[dict[str, Any]] = []
    loaded: list[Loaded] = []
    try:
        for label in labels:
            for size, count in (("empty", sizes.d_page), ("loaded", sizes.g_stored)):
                location = places.fresh(row)
                try:
                    contender = open_contender(label, location)
                except BaseException:
                    places.discard(location)
                    raise
                stores[label, size] = (location, contender)
                started = time.perf_counter()
                contender.bulk_load(0, max(count // LOAD_BATCH, 1), min(count, LOAD_BATCH))
                if size == "loaded":
                    load_seconds = time.perf_counter() - started
                    results.append({"contender": label, "load_seconds": load_seconds})
        samples = _rounds(stores, sizes, labels)
        for result in results:
            label = result["contender"]
            empty, full = samples[label, "empty"], samples[label, "loaded"]
            result.update(
                stored=sizes.g_stored,
                append_p50_empty_ms=median(empty[0]) * 1e3,
                append_p50_loaded_ms=median(full[0]) * 1e3,
                first_page_empty_ms=median(empty[1]) * 1e3,
                first_page_loaded_ms=median(full[1]) * 1e3,
            )
            result["append_ratio"] = result["append_p50_loaded_ms"] / result["append_p50_empty_ms"]
            result["first_page_ratio"] = (
                result["first_page_loaded_ms"] / result["first_page_empty_ms"]
            )
    finally:
        for (label, size), (location, contender) in stores.items():
            contender.close()
            if keep and size == "loaded":
                total = sizes.g_stored + sizes.g_rounds * sizes.g_appends
                loaded.append(Loaded(label, location, sizes.g_stored, total))
            else:
                places.discard(location)
    return results, loaded


def _rounds(
    stores: dict[tuple[str, str], tuple[Location, Contender[Any]]],
    sizes: Sizes,
    labels: tuple[str, ...],
) -> dict[tuple[str, str], tuple[list[float], list[float]]]:
    """Per store: append latencies and first-page times, over alternating rounds."""
    samples: dict[tuple[str, str], tuple[list[float], list[float]]] = {
        key: ([], []) for key in stores
    }
    keys = [(label, size) for label in labels for size in ("empty", "loaded")]
    for round_number in range(sizes.g_rounds):
        shift = round_number % len(keys)
        for key in keys[shift:] + keys[:shift]:
            contender = stores[key][1]
            appends, pages = samples[key]
            first = NEW_STREAMS_FROM + round_number * sizes.g_appends
            prepared = contender.prepare(single_writes(sizes.g_appends, 1, first))
            with quiet_gc():
                for item in prepared:
                    began = time.perf_counter()
                    contender.append(item)
                    appends.append(time.perf_counter() - began)
                for _ in range(sizes.g_page_reads):
                    began = time.perf_counter()
                    contender.first_page(sizes.d_page)
                    pages.append(time.perf_counter() - began)
    return samples
