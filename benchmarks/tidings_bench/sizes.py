"""How much work each scenario does: the full run, ``--quick``, and ``--sizes`` overrides."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

__all__ = ["FULL", "QUICK", "Sizes", "parse_overrides"]


@dataclass(frozen=True, slots=True)
class Sizes:
    """Workload sizes. Field names are what ``--sizes key=value,...`` accepts."""

    a_streams: int = 1_000
    a_events: int = 10
    """(a): ``a_streams`` x ``a_events`` single-event appends; one round per position."""
    b_rounds: int = 5
    b_calls: int = 20
    b_batch: int = 100
    """(b): per round, ``b_calls`` publishes of ``b_batch`` events, each to a new stream."""
    c_events: int = 1_000
    c_rounds: int = 5
    c_reads: int = 4
    """(c): a stream of ``c_events`` events, read ``c_reads`` times a round."""
    d_events: int = 20_000
    d_page: int = 1_000
    d_rounds: int = 3
    """(d): a log of ``d_events`` events, read whole in pages of ``d_page`` each round."""
    e_threads: int = 4
    e_streams: int = 250
    e_events: int = 10
    """(e): ``e_threads`` writers, each on ``e_streams`` streams of ``e_events`` events;
    one round per position."""
    f_writers: int = 4
    f_rounds: int = 5
    f_successes: int = 1_000
    """(f): writers race on one stream until it holds ``f_successes`` events."""
    i_tasks: int = 50
    """(i): asyncio tasks sharing the writes of (e) (its streams and rounds)."""
    g_stored: int = 1_000_000
    g_rounds: int = 5
    g_appends: int = 200
    g_page_reads: int = 10
    """(g): per round, ``g_appends`` appends and ``g_page_reads`` first-page reads,
    on an empty store and on one with ``g_stored`` events."""
    h_events: int = 1_000_000
    """(h): the log iterated while the child process's peak RSS is watched."""

    @property
    def label(self) -> str:
        """``full``, ``quick`` or ``custom``."""
        return "full" if self == FULL else "quick" if self == QUICK else "custom"


FULL = Sizes()
QUICK = Sizes(
    a_streams=200,
    a_events=5,
    b_rounds=3,
    b_calls=10,
    c_rounds=3,
    c_reads=2,
    d_events=5_000,
    e_streams=50,
    e_events=5,
    f_successes=200,
    g_stored=50_000,
    g_rounds=3,
    g_appends=100,
    g_page_reads=5,
    h_events=50_000,
)


def parse_overrides(base: Sizes, text: str | None) -> Sizes:
    """Apply ``key=value,...`` to ``base``; unknown keys raise ``ValueError`` naming the known."""
    if not text:
        return base
    known = {field.name for field in fields(Sizes)}
    changes: dict[str, int] = {}
    for item in text.split(","):
        key, _, value = item.partition("=")
        key = key.strip()
        if key not in known:
            raise ValueError(f"unknown size {key!r}; choose from {', '.join(sorted(known))}")
        try:
            changes[key] = int(value.replace("_", ""))
        except ValueError:
            raise ValueError(f"size {key}={value!r} is not an integer") from None
    return replace(base, **changes)
