"""The rules for category, stream and event names (contract rule 2)."""

from __future__ import annotations

import re

from tidings.errors import ValidationError

__all__ = ["MAX_NAME_LENGTH", "validate_name"]

MAX_NAME_LENGTH = 255
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


def validate_name(value: object, field: str) -> str:
    """Return ``value`` if it is a valid name, else raise :class:`ValidationError`.

    Names are non-empty ``str`` of at most 255 characters without NUL or surrogate
    code points, so that every backend stores and returns them exactly.
    """
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a str, got {type(value).__name__}")
    if not value:
        raise ValidationError(field, "must not be empty")
    if len(value) > MAX_NAME_LENGTH:
        raise ValidationError(
            field, f"must be at most {MAX_NAME_LENGTH} characters, got {len(value)}"
        )
    if _FORBIDDEN.search(value):
        raise ValidationError(field, "must not contain NUL or surrogate code points")
    return value
