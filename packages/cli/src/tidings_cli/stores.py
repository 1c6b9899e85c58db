"""Opening stores for the commands: for reading without ever creating or changing one,
and for writing.

``tidings.connect`` creates a store's schema on first use, which is right for an
application and wrong for ``tidings read``: pointed at a mistyped path it would create
an empty database, and pointed at an unrelated one it would add tables. So every
inspecting command opens its store through :func:`open_for_reading`, which uses the
adapter's read-only mode where it declares one (:attr:`Capability.READ_ONLY`, the
option ``mode="ro"``: SQLite and PostgreSQL): it never creates a file or a schema, never
upgrades one, and refuses a store without the current tidings schema, leaving it
byte-identical. An adapter without that capability opens as usual: the in-memory one
has nothing to create, and a third-party adapter is trusted to create nothing on open.
"""

from __future__ import annotations

from dataclasses import dataclass

import tidings
from tidings import URL, ConfigurationError, EventStore, make_url
from tidings.adapters import Capability, default_registry

__all__ = [
    "DEFAULT_URL",
    "URL_ENV",
    "StoreNotFoundError",
    "Target",
    "canonical_scheme",
    "open_for_reading",
    "open_for_writing",
    "shown",
]

URL_ENV = "TIDINGS_URL"
DEFAULT_URL = "sqlite:///tidings.db"
"""``tidings.connect()``'s default, repeated here to name it in messages (a test checks
that the two agree)."""


class StoreNotFoundError(ConfigurationError):
    """An inspecting command found no tidings store where its config string points."""


@dataclass(frozen=True, slots=True)
class Target:
    """A config string as a command received it: parsed, and as it may be shown."""

    url: URL

    @classmethod
    def parse(cls, text: str | None) -> Target:
        """The store a command names, else ``$TIDINGS_URL``, else the default file."""
        return cls(make_url(text or DEFAULT_URL))

    def __str__(self) -> str:
        return shown(self.url)


def shown(url: URL) -> str:
    """A config string as messages show it: never with its password."""
    return url.render(hide_password=True)


def canonical_scheme(url: URL) -> str:
    """The scheme of the adapter that serves ``url`` (``postgres`` → ``postgresql``)."""
    return default_registry().resolve(url.scheme).scheme


def open_for_writing(target: Target) -> EventStore:
    """Open a store that this command may create or upgrade (init, import, copy, demo)."""
    return tidings.connect(target.url)


def open_for_reading(target: Target) -> EventStore:
    """Open a store without creating, upgrading or otherwise changing anything, or
    raise :class:`StoreNotFoundError` saying what is missing and how to create it."""
    url = target.url
    adapter = default_registry().resolve(url.scheme)
    if Capability.READ_ONLY not in adapter.capabilities:
        return tidings.connect(url)
    if adapter.scheme == "sqlite" and url.path in ("", "/:memory:"):
        raise StoreNotFoundError(
            f"{target} is a new, empty in-memory database, private to one store: there "
            "is nothing to read in it; name a database file (sqlite:///events.db)"
        )
    try:
        return tidings.connect(url, mode="ro")
    except ConfigurationError as error:
        raise StoreNotFoundError(
            f"{' '.join(str(error).split())}. Commands that read never create or change a "
            f"store: create it with `tidings init --url {target}` (which also upgrades an "
            "older schema)"
        ) from error
