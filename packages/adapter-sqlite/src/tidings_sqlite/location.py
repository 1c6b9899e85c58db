"""Where a store's database lives: a file path from the config string, or memory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tidings.adapters import (
    URL,
    ConfigurationError,
)
from tidings_sqlite.options import Mode

__all__ = ["Location", "locate"]

_MEMORY = ":memory:"


@dataclass(frozen=True, slots=True)
class Location:
    """An absolute database file path, or None for a private in-memory database, and
    whether the store opens it read-only."""

    path: Path | None
    read_only: bool = False

    @property
    def in_memory(self) -> bool:
        return self.path is None

    def describe(self) -> str:
        """How error messages name the database."""
        return "sqlite:// (in memory)" if self.path is None else f"sqlite:///{self.path}"

    def opened(self, mode: Mode) -> Location:
        """This location as a store in ``mode`` opens it, read-only or not, or raise
        :class:`ConfigurationError` before SQLite touches a path it cannot use.

        Checked up front because SQLite's own messages ("unable to open database file")
        do not say which part is wrong, and because a failed open must change nothing.
        """
        path = self.path
        if path is None:
            if mode is Mode.READ_ONLY:
                raise ConfigurationError(
                    "sqlite:// (in memory) cannot be read-only: it starts empty, with "
                    "nothing to read; open a database file with ?mode=ro"
                )
            return self
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
        exists = path.exists()
        if mode is Mode.READ_ONLY and not exists:
            raise ConfigurationError(
                f"cannot open {self.describe()} read-only (mode=ro): the file does not "
                "exist, and a read-only store never creates one"
            )
        if exists and not os.access(path, os.R_OK):
            raise ConfigurationError(
                f"cannot open {self.describe()}: the file is not readable by this user"
            )
        writable = exists and os.access(path, os.W_OK)
        if mode is Mode.READ_ONLY or (mode is Mode.AUTO and exists and not writable):
            self._check_readable_in_wal_mode(path)
            return Location(path, read_only=True)
        if exists and not writable:
            raise ConfigurationError(
                f"cannot open {self.describe()}: the file is read-only for this user and "
                "mode=rw asks to write it; make it writable, or open it with mode=ro "
                "(or the default mode=auto) to read it"
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigurationError(
                f"cannot open {self.describe()}: the folder {str(folder)!r} is not writable; "
                "SQLite needs to create its -wal and -shm files beside the database"
            )
        return self

    def _check_readable_in_wal_mode(self, path: Path) -> None:
        """A reader of a WAL database needs its ``-shm`` file: it must exist already (a
        writer has the database open), or the folder must let SQLite create it."""
        shm = path.with_name(path.name + "-shm")
        if shm.exists() or os.access(path.parent, os.W_OK | os.X_OK) or not _in_wal_mode(path):
            return
        raise ConfigurationError(
            f"cannot open {self.describe()} read-only: SQLite needs a {shm.name!r} file "
            f"beside a WAL database to read it, and cannot create one in the read-only "
            f"folder {str(path.parent)!r}; make the folder writable, or read while a "
            "writer has the database open"
        )


def _in_wal_mode(path: Path) -> bool:
    """Whether the database file's header says WAL (bytes 18-19, the format versions)."""
    with path.open("rb") as file:
        header = file.read(20)
    return len(header) == 20 and header[18:20] == b"\x02\x02"


def locate(url: URL) -> Location:
    """The location a ``sqlite://`` config string names, or an actionable error.

    ``sqlite:///relative.db`` is relative to the working directory when the store is
    opened (then kept absolute), ``sqlite:////abs/path.db`` is absolute, and
    ``sqlite://`` is a new in-memory database private to one store.
    """
    if url.host or url.username or url.password is not None or url.port:
        # Not quoted: with a password holding an unencoded "/" (sqlite://u:/secret@h/x),
        # the password parses as part of the path.
        raise ConfigurationError(
            "the sqlite:// config string names a host (or a user or port), but SQLite "
            "takes a file path: write sqlite:///relative.db, sqlite:////absolute/path.db, "
            "or sqlite:// for an in-memory database"
        )
    if url.driver is not None:
        raise ConfigurationError(
            f"sqlite+{url.driver}://: sqlite:// has no drivers to choose from; "
            f"remove '+{url.driver}'"
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
