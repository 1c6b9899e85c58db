"""Write transactions: ``BEGIN IMMEDIATE`` takes the write lock before reading anything.

Taking the lock first serialises writers at the log level, across threads and
processes, so conditions are checked and positions and sequence numbers assigned
against the state the commit will follow.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import ParamSpec, TypeVar

__all__ = ["in_write_transaction", "write_transaction"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


@contextmanager
def write_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """Commit the block's writes at once, or roll them all back if anything raises."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        _rollback(connection)
        raise
    try:
        connection.execute("COMMIT")
    except BaseException:
        _rollback(connection)
        raise


def in_write_transaction(
    connection: sqlite3.Connection, work: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
) -> _T:
    """``work(*args, **kwargs)`` inside :func:`write_transaction`, without a generator
    context manager on the publish path."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = work(*args, **kwargs)
        connection.execute("COMMIT")
    except BaseException:
        _rollback(connection)
        raise
    return result


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        # The original error matters more than a failure to roll back, and SQLite
        # rolls back an open transaction when its connection closes anyway.
        with suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
