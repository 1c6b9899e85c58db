"""The workload: ~200-byte JSON payloads, stream keys, and what each write appends.

Every contender writes the same logical events: the same streams, positions and
payloads. Only the representation differs (tidings ``NewEvent``, eventsourcing
``StoredEvent`` with pre-serialised bytes, or raw rows).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

__all__ = [
    "CATEGORY",
    "EVENT_NAME",
    "PAYLOAD_BYTES",
    "PAYLOAD_VARIETY",
    "Write",
    "payload",
    "payload_bytes",
    "payload_text",
    "single_writes",
    "stream_name",
    "stream_uuid",
]

CATEGORY = "account"
EVENT_NAME = "funds-deposited"
PAYLOAD_BYTES = 200
"""The target size of one payload, as compact JSON."""

_WORDS = (
    *("alpha", "bravo", "charlie", "delta", "echo", "foxtrot"),
    *("golf", "hotel", "india", "juliet", "kilo", "lima"),
)


@dataclass(frozen=True, slots=True)
class Write:
    """One publish call: ``count`` events at ``position`` onwards in stream ``stream``."""

    stream: int
    position: int
    count: int = 1


def stream_name(stream: int) -> str:
    """The tidings stream name of stream number ``stream``."""
    return f"acc-{stream:07d}"


def stream_uuid(stream: int) -> UUID:
    """The eventsourcing originator id of stream number ``stream``."""
    return UUID(int=stream + 1)


PAYLOAD_VARIETY = 512
"""How many distinct payloads the benchmarks cycle through."""


def payload(index: int) -> dict[str, Any]:
    """A deterministic payload of about :data:`PAYLOAD_BYTES` bytes of compact JSON."""
    return _payload(index % PAYLOAD_VARIETY)


@cache
def _payload(index: int) -> dict[str, Any]:
    rng = random.Random(index)
    body: dict[str, Any] = {
        "account": f"acc-{rng.randrange(10**7):07d}",
        "amount": round(rng.uniform(1, 10_000), 2),
        "currency": rng.choice(["EUR", "GBP", "USD"]),
        "reference": f"ref-{rng.getrandbits(64):016x}",
        "tags": rng.sample(_WORDS, 3),
        "note": "",
    }
    filler = PAYLOAD_BYTES - len(json.dumps(body, separators=(",", ":")))
    body["note"] = " ".join(rng.choice(_WORDS) for _ in range(60))[: max(filler, 0)]
    return body


def payload_text(index: int) -> str:
    """The compact JSON text of :func:`payload`."""
    return _payload_text(index % PAYLOAD_VARIETY)


@cache
def _payload_text(index: int) -> str:
    return json.dumps(payload(index), separators=(",", ":"))


def payload_bytes(index: int) -> bytes:
    """The UTF-8 bytes of :func:`payload_text`: eventsourcing's serialised state."""
    return payload_text(index).encode()


def single_writes(streams: int, events_per_stream: int, first_stream: int = 0) -> list[Write]:
    """One event per call, round-robin over the streams (each stream's events in order)."""
    return [
        Write(first_stream + stream, position)
        for position in range(events_per_stream)
        for stream in range(streams)
    ]
