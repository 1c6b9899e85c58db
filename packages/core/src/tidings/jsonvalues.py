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
_SCALARS = (bool, int, str, type(None))


def normalise_json(value: object, field: str) -> JsonValue:
    """Return a detached, portable copy of ``value``, or raise :class:`ValidationError`.

    Tuples become lists and mappings become dicts. NaN, infinities, NUL characters and
    lone surrogates are rejected because not every backend can store them.
    """
    if isinstance(value, str):
        if _FORBIDDEN.search(value):
            raise ValidationError(field, "strings must not contain NUL or lone surrogates")
        return value
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, f"{value!r} is not a portable JSON number")
        return value
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


def encode_json(value: JsonValue) -> str:
    """Encode a value already checked by :func:`normalise_json` as compact JSON text."""
    return _encoder.encode(value)


def decode_json(text: str | bytes) -> JsonValue:
    """Decode JSON text written by :func:`encode_json`."""
    if isinstance(text, bytes):
        text = text.decode()
    return _decoder.decode(text)
