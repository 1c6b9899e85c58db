"""Where a store's database lives: a file path from the config string, or memory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tidings.adapters import (
    URL,
    ConfigurationError,
)

__all__ = ["Location", "locate"]

_MEMORY = ":memory:"


@dataclass(frozen=True, slots=True)
class Location:
    """An absolute database file path, or None for a private in-memory database."""

    path: Path | None

    @property
    def in_memory(self) -> bool:
        return self.path is None

    def describe(self) -> str:
        """How error messages name the database."""
        return "sqlite:// (in memory)" if self.path is None else f"sqlite:///{self.path}"

    def check_usable(self) -> None:
        """Raise :class:`ConfigurationError` before SQLite touches a path it cannot use.

        Checked up front because SQLite's own messages ("unable to open database file")
        do not say which part is wrong, and because a failed open must change nothing.
        """
        path = self.path
        if path is None:
            return
        folder = path.parent
        if not folder.is_dir():
            raise ConfigurationError(
                f"cannot open {self.describe()}: the folder {str(folder)!r} does not exist; "
                "create it first, tidings does not create folders"
            )
        if path.is_dir():
            raise ConfigurationError(
                f"cannot open {self.describe()}: {str(path)!r} is a folder, not a database file"
            )
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            raise ConfigurationError(
                f"cannot open {self.describe()}: the file is read-only for this user; "
                "tidings needs to write to its database, so make it writable"
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigurationError(
                f"cannot open {self.describe()}: the folder {str(folder)!r} is not writable; "
                "SQLite needs to create its -wal and -shm files beside the database"
            )


def locate(url: URL) -> Location:
    """The location a ``sqlite://`` config string names, or an actionable error.

    ``sqlite:///relative.db`` is relative to the working directory when the store is
    opened (then kept absolute), ``sqlite:////abs/path.db`` is absolute, and
    ``sqlite://`` is a new in-memory database private to one store.
    """
    if url.host or url.username or url.password is not None or url.port:
        raise ConfigurationError(
            f"{url} names a host, but SQLite takes a file path: write sqlite:///relative.db, "
            "sqlite:////absolute/path.db, or sqlite:// for an in-memory database"
        )
    if url.driver is not None:
        raise ConfigurationError(
            f"{url}: sqlite:// has no drivers to choose from; remove '+{url.driver}'"
        )
    if url.path == "":
        return Location(None)
    database = url.database
    if database is None:
        raise ConfigurationError(
            f"{url} names no file: write sqlite:///relative.db, sqlite:////absolute/path.db, "
            "or sqlite:// for an in-memory database"
        )
    if database == _MEMORY:
        return Location(None)
    return Location(Path(database).expanduser().absolute())
