"""Typed adapter options: query values converted by the adapter's options dataclass."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tidings.errors import ConfigurationError, UnknownOptionError

__all__ = ["NoOptions", "build_options", "option_names"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True, slots=True)
class NoOptions:
    """The options of an adapter that takes none."""


def option_names(options_type: type[Any]) -> list[str]:
    """The options an adapter accepts."""
    return [f.name for f in dataclasses.fields(options_type)]


def build_options(
    options_type: type[Any],
    scheme: str,
    query: Mapping[str, str],
    overrides: Mapping[str, object],
) -> Any:
    """Build ``options_type`` from query values, then keyword overrides.

    Query values are strings and are converted by each field's type; keyword overrides
    are checked against it. An unknown name raises :class:`UnknownOptionError`, which
    lists the accepted ones.
    """
    accepted = option_names(options_type)
    unknown = (set(query) | set(overrides)) - set(accepted)
    if unknown:
        raise UnknownOptionError(scheme, unknown, accepted)
    hints = typing.get_type_hints(options_type)
    values: dict[str, object] = {}
    for name, text in query.items():
        values[name] = _convert(text, hints[name], scheme, name)
    for name, value in overrides.items():
        values[name] = _convert(value, hints[name], scheme, name)
    try:
        return options_type(**values)
    except (TypeError, ValueError) as error:
        if isinstance(error, ConfigurationError):
            raise
        raise ConfigurationError(f"invalid options for {scheme}://: {error}") from error


def _convert(value: object, hint: Any, scheme: str, name: str) -> object:
    candidates = _union_members(hint)
    is_none = value is None or (isinstance(value, str) and value.lower() in {"", "none", "null"})
    if is_none and type(None) in candidates:
        return None
    for candidate in candidates:
        if candidate is type(None):
            continue
        try:
            return _convert_to(value, candidate)
        except (TypeError, ValueError):
            continue
    expected = " or ".join(_describe(c) for c in candidates)
    raise ConfigurationError(f"option {name!r} of {scheme}:// must be {expected}, got {value!r}")


def _union_members(hint: Any) -> list[Any]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return list(typing.get_args(hint))
    return [hint]


def _convert_to(value: object, kind: Any) -> object:
    if typing.get_origin(kind) is typing.Literal:
        for allowed in typing.get_args(kind):
            if value == allowed or (isinstance(value, str) and str(allowed) == value):
                return allowed
        raise ValueError(value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        if isinstance(value, kind):
            return value
        return kind(value.lower() if isinstance(value, str) else value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise ValueError(value)
    if kind is int:
        if isinstance(value, bool):
            raise TypeError(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            return int(value)
        raise TypeError(value)
    if kind is float:
        if isinstance(value, bool):
            raise TypeError(value)
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            return float(value)
        raise TypeError(value)
    if kind is str:
        if isinstance(value, str):
            return value
        raise TypeError(value)
    raise TypeError(f"unsupported option type {kind!r}")


def _describe(kind: Any) -> str:
    if typing.get_origin(kind) is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(kind))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in kind)
    if kind is type(None):
        return "none"
    return getattr(kind, "__name__", str(kind))
