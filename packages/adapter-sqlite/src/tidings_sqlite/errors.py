"""Translation of ``sqlite3`` errors into :mod:`tidings.errors`, chaining the cause."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from tidings.adapters import (
    ConfigurationError,
    StorageError,
    StoreBusyError,
    TidingsError,
)

__all__ = ["translate_error", "translating"]

_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
_NOT_A_DATABASE = ("SQLITE_NOTADB",)
_CANNOT_WRITE = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")


def translate_error(
    error: sqlite3.Error, *, action: str, database: str, busy_timeout: float
) -> TidingsError:
    """The tidings error that tells a user what went wrong with ``database`` and the fix."""
    code = getattr(error, "sqlite_errorname", None) or ""
    if code.startswith(_BUSY):
        return StoreBusyError(
            f"could not {action} {database}: another connection held the database lock for "
            f"longer than busy_timeout={busy_timeout}s ({error}); nothing was written. "
            "Retry, raise busy_timeout, or reduce write contention"
        )
    if code.startswith(_NOT_A_DATABASE):
        return ConfigurationError(
            f"{database} is not a SQLite database ({error}); point the config string at a "
            "tidings database or at a path where a new file may be created"
        )
    if code.startswith(_CANNOT_WRITE):
        return ConfigurationError(
            f"could not {action} {database}: SQLite cannot write it ({error}); check that "
            "the file and its folder are writable by this user"
        )
    return StorageError(f"SQLite failed to {action} {database}: {error}")


@contextmanager
def translating(*, action: str, database: str, busy_timeout: float) -> Iterator[None]:
    """Raise :func:`translate_error`'s error for any ``sqlite3.Error`` in the block."""
    try:
        yield
    except sqlite3.Error as error:
        raise translate_error(
            error, action=action, database=database, busy_timeout=busy_timeout
        ) from error
