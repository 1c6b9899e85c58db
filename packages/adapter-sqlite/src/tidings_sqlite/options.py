"""The typed options of ``sqlite://`` config strings."""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass

from tidings.adapters import (
    ConfigurationError,
)

__all__ = [
    "MAX_BUSY_TIMEOUT",
    "MAX_PAGE_SIZE",
    "MAX_POOL_SIZE",
    "Mode",
    "SQLiteOptions",
    "Synchronous",
    "quote_identifier",
    "validate_identifier",
]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

MAX_BUSY_TIMEOUT = 2_147_483.0
"""The longest ``busy_timeout`` in seconds (about 24.8 days): SQLite's busy handler takes
a C ``int`` of milliseconds, and a longer wait would silently wrap around."""

MAX_PAGE_SIZE = 1_000_000
"""The most events a scan may read per query; larger pages only cost memory."""

MAX_POOL_SIZE = 1_000
"""The most idle connections a store may keep."""


class Synchronous(enum.Enum):
    """How hard SQLite works to make a commit survive a power cut (``PRAGMA synchronous``).

    ``FULL`` syncs the write-ahead log on every commit, so an acknowledged publish
    survives power loss. ``NORMAL`` syncs only at checkpoints: still safe against a
    crashed process, but the last commits may roll back after a power cut or OS crash.
    """

    FULL = "full"
    NORMAL = "normal"


class Mode(enum.Enum):
    """Whether a store may write its database file (``?mode=``).

    ``AUTO`` (the default) writes, unless the file exists and this process may not write
    it: then the store opens read-only. ``READ_WRITE`` refuses such a file at connect.
    ``READ_ONLY`` never writes, not even the schema: the database must exist and have
    the current tidings schema. A read-only store reads, scans, loads and searches
    projections; ``publish`` and saving a projection raise
    :class:`~tidings.UnsupportedCapabilityError`.
    """

    AUTO = "auto"
    READ_WRITE = "rw"
    READ_ONLY = "ro"


def validate_identifier(name: object, option: str) -> str:
    """Return ``name`` if it is a plain SQL identifier we may create, else raise."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ConfigurationError(
            f"option {option!r} must be a SQL identifier (a letter or '_', then letters, "
            f"digits or '_', at most 63 characters), got {name!r}"
        )
    if name.lower().startswith("sqlite_"):
        raise ConfigurationError(
            f"option {option!r}: names starting with 'sqlite_' are reserved by SQLite, got {name!r}"
        )
    return name


def quote_identifier(name: str) -> str:
    """Quote an identifier for SQL, so a name is never pasted in as code."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class SQLiteOptions:
    """Options of ``sqlite://``, from the query string or keyword arguments to ``connect``."""

    synchronous: Synchronous = Synchronous.FULL
    """FULL by default, because an acknowledged publish must survive a power cut."""

    busy_timeout: float = 5.0
    """Seconds a write waits for another writer's lock before :class:`StoreBusyError`
    (0 to :data:`MAX_BUSY_TIMEOUT`)."""

    table: str = "events"
    """The events table; several stores can share one file under different names."""

    page_size: int = 1000
    """How many events a lazy scan reads per query (1 to :data:`MAX_PAGE_SIZE`)."""

    pool_size: int = 8
    """How many idle connections a store keeps for reuse, 1 to :data:`MAX_POOL_SIZE`;
    more open under load."""

    sqlite_utils_plugins: bool = False
    """Whether sqlite-utils ``prepare_connection`` plugin hooks run on our connections.

    Off by default: a store's behaviour must not change because an unrelated plugin
    is installed, and loading plugins costs start-up time. Turn it on to get plugin SQL
    functions on the store's connections.
    """

    mode: Mode = Mode.AUTO
    """``auto``, ``rw`` or ``ro``: see :class:`Mode`."""

    def __post_init__(self) -> None:
        if not isinstance(self.synchronous, Synchronous):
            raise ConfigurationError(
                f"option 'synchronous' must be Synchronous.FULL or Synchronous.NORMAL, "
                f"got {self.synchronous!r}"
            )
        if not isinstance(self.mode, Mode):
            raise ConfigurationError(
                f"option 'mode' must be Mode.AUTO, Mode.READ_WRITE or Mode.READ_ONLY, "
                f"got {self.mode!r}"
            )
        timeout = self.busy_timeout
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not math.isfinite(timeout)
            or not 0 <= timeout <= MAX_BUSY_TIMEOUT
        ):
            raise ConfigurationError(
                f"option 'busy_timeout' must be a number of seconds from 0 to "
                f"{MAX_BUSY_TIMEOUT:.0f}, got {timeout!r}"
            )
        validate_identifier(self.table, "table")
        for name, maximum in (("page_size", MAX_PAGE_SIZE), ("pool_size", MAX_POOL_SIZE)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
                raise ConfigurationError(
                    f"option {name!r} must be an int from 1 to {maximum}, got {value!r}"
                )
