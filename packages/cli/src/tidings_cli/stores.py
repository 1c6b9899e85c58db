"""Opening stores for the commands: for reading without ever creating or changing one,
and for writing.

``tidings.connect`` creates a store's schema on first use, which is right for an
application and wrong for ``tidings read``: pointed at a mistyped path it would create
an empty database, and pointed at an unrelated one it would add tables. So every
inspecting command opens its store through :func:`open_for_reading`:

- SQLite: with the adapter's read-only mode (``mode=ro``), which never creates a file,
  never creates or upgrades a schema, and refuses a database without the tidings
  schema, leaving it byte-identical.
- PostgreSQL: the adapter creates its schema when it opens, so the command first asks
  the server, on one connection, whether the schema exists at the current version,
  and stops with an error when it does not.
- Other schemes open as usual: the in-memory adapter has nothing to create, and a
  third-party adapter is trusted to create nothing on open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tidings
from tidings import URL, ConfigurationError, EventStore, make_url
from tidings.adapters import default_registry

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
    scheme = canonical_scheme(url)
    options: dict[str, Any] = {}
    if scheme == "sqlite":
        if url.path in ("", "/:memory:"):
            raise StoreNotFoundError(
                f"{target} is a new, empty in-memory database, private to one store: there "
                "is nothing to read in it; name a database file (sqlite:///events.db)"
            )
        options["mode"] = "ro"
    elif scheme == "postgresql":
        _check_postgres_schema(url)
    try:
        return tidings.connect(url, **options)
    except ConfigurationError as error:
        if scheme != "sqlite" or isinstance(error, StoreNotFoundError):
            raise
        raise StoreNotFoundError(
            f"{error}. Commands that read never create or change a store: create it with "
            f"`tidings init --url {target}` (which also upgrades an older schema)"
        ) from error


def _check_postgres_schema(url: URL) -> None:
    """Refuse a PostgreSQL schema that does not exist, or not at this release's version,
    before the adapter opens (and would create or upgrade it). One connection, two
    catalogue queries; the adapter's own settings and password-free errors apply."""
    from tidings._protocol.options import build_options
    from tidings_postgres.connection import Server, failures
    from tidings_postgres.options import PostgresOptions
    from tidings_postgres.schema import SCHEMA_VERSION, render

    options: PostgresOptions = build_options(PostgresOptions, url.scheme, url.query, {})
    server = Server(url, options)
    schema = options.schema
    with server.connect() as conn, failures(server, "inspect"):
        table = render("{s}.schema_version", schema)
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()
        version = None
        if row is not None and row[0]:
            found = conn.execute(render("SELECT max(version) FROM {s}.schema_version", schema))
            version = (found.fetchone() or (None,))[0]
    where = f"PostgreSQL at {server.description}"
    if version is None:
        raise StoreNotFoundError(
            f"{where} has no tidings schema {schema!r}, and commands that read never "
            f"create one: check ?schema= in the config string, or create it with "
            f"`tidings init --url {shown(url)}`"
        )
    if version < SCHEMA_VERSION:
        raise StoreNotFoundError(
            f"the tidings schema {schema!r} on {where} is at version {version}, older than "
            f"this release's {SCHEMA_VERSION}, and commands that read never upgrade it: "
            f"upgrade it with `tidings init --url {shown(url)}`"
        )
