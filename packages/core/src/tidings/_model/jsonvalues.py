"""Portable JSON values: validation on the way in, one codec for every adapter."""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from typing import Any, TypeAlias

from tidings.errors import ValidationError

__all__ = [
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "JsonValue",
    "decode_json",
    "encode_json",
    "normalise_json",
    "shown",
]

JsonValue: TypeAlias = Any
"""A JSON value: ``None``, ``bool``, ``int``, ``float``, ``str``, lists and str-keyed mappings."""

_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
_SCALARS = (bool, int, type(None))

MAX_DEPTH = 100
"""How deeply lists and mappings may nest in a JSON value (the value itself is level 1).

Every backend and codec handles this depth (orjson stops at 255, SQLite's JSON functions
at 1000), and walking it never comes near Python's recursion limit, so a deeper value is
rejected up front rather than failing later with a ``RecursionError``."""

MAX_INT_DIGITS = 4300
"""The most decimal digits an integer may have: CPython's default limit for converting an
int to text (``sys.get_int_max_str_digits``), which every codec goes through. An
interpreter configured with a lower limit lowers it too."""

_SMALL_INT_BITS = 2000
"""Ints of at most this many bits have fewer than 640 digits, the lowest limit Python can
be configured with, so they need no digit check."""


def normalise_json(value: object, field: str) -> JsonValue:
    """Return a detached, portable copy of ``value``, or raise :class:`ValidationError`.

    Tuples become lists and mappings become dicts. NaN, infinities, NUL characters, lone
    surrogates, integers of more than :data:`MAX_INT_DIGITS` digits, nesting deeper than
    :data:`MAX_DEPTH` and values that contain themselves are rejected, because not every
    backend can store them.
    """
    return _normalise(value, field, 0, set())


def _normalise(value: object, field: str, depth: int, active: set[int]) -> JsonValue:
    """``active`` holds the ids of the containers on the path from the root to ``value``."""
    kind = type(value)
    if isinstance(value, str):
        if _FORBIDDEN.search(value):
            raise ValidationError(field, "strings must not contain NUL or lone surrogates")
        return value if kind is str else str.__str__(value)
    if kind in _SCALARS:
        if kind is int and value.bit_length() > _SMALL_INT_BITS:  # type: ignore[attr-defined]
            _check_int_digits(value, field)  # type: ignore[arg-type]
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):  # subclasses such as IntEnum read back as plain ints
        _check_int_digits(value, field)
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, f"{value!r} is not a portable JSON number")
        return float(value)
    if not isinstance(value, Mapping | list | tuple):
        raise ValidationError(field, f"{type(value).__name__} is not a JSON value")
    identity = id(value)
    if identity in active:
        raise ValidationError(
            field, "the value contains itself (a cycle); JSON values must be trees"
        )
    if depth >= MAX_DEPTH:
        raise ValidationError(
            field, f"lists and mappings nest deeper than the maximum of {MAX_DEPTH} levels"
        )
    depth += 1
    active.add(identity)
    try:
        if isinstance(value, Mapping):
            result: dict[str, JsonValue] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ValidationError(
                        field, f"mapping keys must be str, got {type(key).__name__} {shown(key)}"
                    )
                if _FORBIDDEN.search(key):
                    raise ValidationError(
                        field, f"key {shown(key)} contains NUL or a lone surrogate"
                    )
                result[key] = _normalise(item, f"{field}.{key}", depth, active)
            return result
        return [
            _normalise(item, f"{field}[{index}]", depth, active) for index, item in enumerate(value)
        ]
    finally:
        active.discard(identity)


def shown(value: object, width: int = 80) -> str:
    """``repr(value)`` cut to ``width`` characters, so an error message stays readable
    (and an int too long for text does not raise while the error is being built)."""
    try:
        text = repr(value)
    except ValueError:
        text = f"<{type(value).__name__} too long to show>"
    return text if len(text) <= width else f"{text[: width - 3]}..."


def _check_int_digits(value: int, field: str) -> None:
    if value.bit_length() <= _SMALL_INT_BITS:
        return
    limit = min(MAX_INT_DIGITS, sys.get_int_max_str_digits() or MAX_INT_DIGITS)
    if abs(value) >= 10**limit:
        raise ValidationError(field, f"integers may have at most {limit} digits; this one has more")


_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_decoder = json.JSONDecoder()

_orjson: Any
try:  # orjson, when installed (the SQL adapters depend on it), is several times faster
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised by the isolated core environment
    _orjson = None

_DIGITS = bytes(ord("1") if chr(i).isdigit() and i < 128 else ord(" ") for i in range(256))
_LONG_RUN = b"1" * 19
"""A run of 19 digits may be an integer beyond 64 bits, which orjson would turn into a
float; such text takes the exact standard-library path. (Translating is far cheaper than
a regular expression here.)"""


def encode_json(value: JsonValue) -> str:
    """Encode a value already checked by :func:`normalise_json` as compact JSON text."""
    if _orjson is not None:
        try:
            encoded: bytes = _orjson.dumps(value)
            return encoded.decode()
        except TypeError:  # integers beyond 64 bits
            pass
    return _encoder.encode(value)


def decode_json(text: str | bytes) -> JsonValue:
    """Decode JSON text written by :func:`encode_json`, exactly."""
    if text == "{}" or text == b"{}":  # every event's default metadata: skip the decoder
        return {}
    if _orjson is not None:
        raw = text.encode() if isinstance(text, str) else text
        if len(raw) < len(_LONG_RUN) or _LONG_RUN not in raw.translate(_DIGITS):
            return _orjson.loads(raw)
    if isinstance(text, bytes):
        text = text.decode()
    return _decoder.decode(text)
