"""Portable JSON values: validation on the way in, one codec for every adapter."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, TypeAlias

from tidings.errors import ValidationError

__all__ = ["JsonValue", "decode_json", "encode_json", "normalise_json"]

JsonValue: TypeAlias = Any
"""A JSON value: ``None``, ``bool``, ``int``, ``float``, ``str``, lists and str-keyed mappings."""

_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
_SCALARS = (bool, int, type(None))


def normalise_json(value: object, field: str) -> JsonValue:
    """Return a detached, portable copy of ``value``, or raise :class:`ValidationError`.

    Tuples become lists and mappings become dicts. NaN, infinities, NUL characters and
    lone surrogates are rejected because not every backend can store them.
    """
    kind = type(value)
    if isinstance(value, str):
        if _FORBIDDEN.search(value):
            raise ValidationError(field, "strings must not contain NUL or lone surrogates")
        return value if kind is str else str.__str__(value)
    if kind in _SCALARS:
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):  # subclasses such as IntEnum read back as plain ints
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, f"{value!r} is not a portable JSON number")
        return float(value)
    if isinstance(value, Mapping):
        result: dict[str, JsonValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(
                    field, f"mapping keys must be str, got {type(key).__name__} {key!r}"
                )
            if _FORBIDDEN.search(key):
                raise ValidationError(field, f"key {key!r} contains NUL or a lone surrogate")
            result[key] = normalise_json(item, f"{field}.{key}")
        return result
    if isinstance(value, list | tuple):
        return [normalise_json(item, f"{field}[{index}]") for index, item in enumerate(value)]
    raise ValidationError(field, f"{type(value).__name__} is not a JSON value")


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
