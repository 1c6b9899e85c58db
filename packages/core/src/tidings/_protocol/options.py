"""Typed adapter options: query values converted by the adapter's options dataclass."""

from __future__ import annotations

import dataclasses
import enum
import math
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tidings.errors import ConfigurationError, UnknownOptionError

__all__ = ["NoOptions", "build_options", "option_names"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_OPTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
"""Ints outside a signed 64-bit integer cannot be bound by every driver."""


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
    are checked against it. An ``int`` must fit in a signed 64-bit integer and a
    ``float`` must be finite, so no NaN, infinity or giant number reaches an adapter or
    its driver. An unknown name raises :class:`UnknownOptionError`, which lists the
    accepted ones; any other bad value a :class:`ConfigurationError` naming the option.
    """
    accepted = option_names(options_type)
    unknown = (set(query) | set(overrides)) - set(accepted)
    if unknown:
        raise UnknownOptionError(scheme, {_shown_name(name) for name in unknown}, accepted)
    hints = typing.get_type_hints(options_type)
    values: dict[str, object] = {}
    for name, text in query.items():
        values[name] = _convert(text, hints[name], scheme, name)
    for name, value in overrides.items():
        values[name] = _convert(value, hints[name], scheme, name)
    try:
        return options_type(**values)
    except (TypeError, ValueError, ArithmeticError) as error:
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
        except (TypeError, ValueError, ArithmeticError):
            continue
    expected = " or ".join(_describe(c) for c in candidates)
    raise ConfigurationError(
        f"option {name!r} of {scheme}:// must be {expected}, got {_shown(value)}"
    )


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
        if not isinstance(value, int | str):
            raise TypeError(value)
        number = int(value)  # ValueError beyond Python's int-to-text limit
        if not _INT_MIN <= number <= _INT_MAX:
            raise OverflowError(value)
        return number
    if kind is float:
        if isinstance(value, bool):
            raise TypeError(value)
        if isinstance(value, int | float | str):
            real = float(value)  # OverflowError for an int beyond the float range
        else:
            raise TypeError(value)
        if not math.isfinite(real):
            raise ValueError(value)
        return real
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
    if kind is int:
        return "an int in -2**63..2**63-1"
    if kind is float:
        return "a finite float"
    return getattr(kind, "__name__", str(kind))


def _shown_name(name: str) -> str:
    """An unknown option's name as an error shows it. A name that could not be an option
    is not shown: in a malformed config string it may be part of a password (an
    unencoded ``?`` in ``user:pa?ss@host`` starts the query string)."""
    if _OPTION_NAME.match(name):
        return name
    return "<a name that is not an option name; it is not shown, as it may be a secret>"


def _shown(value: object) -> str:
    """``repr(value)`` cut short: an error message must stay readable."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's int-to-text limit
        text = f"<{type(value).__name__} too long to show>"
    return text if len(text) <= 80 else f"{text[:77]}..."
