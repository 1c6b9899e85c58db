"""Profile one scenario of one contender with pyinstrument.

``python -m tidings_bench.profiling postgres-log a [--contender tidings] [--quick]``
prints the call tree and writes it under ``results/``. Threads other than the main one
are not sampled, so profile (e) and (f) through (a). The async tasks of (i) run on the
main thread: ``postgres-log i --contender tidings-async``.
"""

from __future__ import annotations

import argparse

from .backends import DEFAULT_POSTGRES_URL, RESULTS, ROWS, Places
from .contenders import open_contender
from .scenarios import SCENARIOS
from .sizes import FULL, QUICK, parse_overrides

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the scenario under the profiler; print and save the report."""
    from pyinstrument import Profiler  # type: ignore[import-not-found, unused-ignore]

    parser = argparse.ArgumentParser(prog="python -m tidings_bench.profiling")
    parser.add_argument("row", choices=[row.key for row in ROWS])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--contender", default="tidings")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    options = parser.parse_args(argv)
    sizes = parse_overrides(QUICK if options.quick else FULL, options.sizes)
    row = next(row for row in ROWS if row.key == options.row)
    with Places(options.postgres_url) as places:
        location = places.fresh(row)
        contender = open_contender(options.contender, location)
        profiler = Profiler(interval=0.0005)
        try:
            scenario = SCENARIOS[options.scenario](sizes)
            profiler.start()
            state = scenario.setup(contender)
            measures = [scenario.run_round(contender, state, i) for i in range(scenario.rounds)]
            profiler.stop()
        finally:
            contender.close()
            places.discard(location)
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    out = RESULTS / f"profile-{row.key}-{options.scenario}-{options.contender}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    rate = sum(m.events for m in measures) / sum(m.seconds for m in measures)
    out.write_text(f"{rate:,.0f} events/s in the timed sections, under the profiler\n{text}")
    print(out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
