"""Typed options of ``postgresql://`` and the rules for the schema name."""

from __future__ import annotations

from dataclasses import dataclass

from tidings.adapters import (
    ConfigurationError,
    Ordering,
)

__all__ = ["MAX_IDENTIFIER_BYTES", "PostgresOptions", "validate_schema_name"]

MAX_IDENTIFIER_BYTES = 63
"""PostgreSQL silently truncates longer identifiers, which could merge two schemas."""


def validate_schema_name(name: object) -> str:
    """Return ``name`` if PostgreSQL can hold it exactly as a quoted identifier.

    Any other text is allowed: it is always quoted, never pasted into SQL, so a name such
    as ``x"; DROP TABLE t; --`` is just an odd schema name.
    """
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"option 'schema' must be a non-empty str, got {name!r}")
    if "\x00" in name:
        raise ConfigurationError("option 'schema' must not contain a NUL character")
    if len(name.encode("utf-8", "surrogatepass")) > MAX_IDENTIFIER_BYTES:
        raise ConfigurationError(
            f"option 'schema' must be at most {MAX_IDENTIFIER_BYTES} bytes in UTF-8, got {name!r}"
        )
    if name.lower().startswith("pg_"):
        raise ConfigurationError(
            f"option 'schema' must not start with 'pg_' (reserved by PostgreSQL), got {name!r}"
        )
    return name


@dataclass(frozen=True, slots=True)
class PostgresOptions:
    """Options of ``postgresql://``, from the query string or keyword arguments."""

    schema: str = "tidings"
    """The schema that holds the events table; created on first use."""
    ordering: Ordering = Ordering.LOG
    """The scope at which writes are serialised: ``log``, ``category`` or ``stream``."""
    pool_min_size: int = 1
    """Connections the pool keeps open."""
    pool_max_size: int = 10
    """Connections the pool opens at most; more callers wait for one."""
    statement_timeout: float | None = None
    """Seconds a statement may run before the server cancels it (None: server default)."""
    lock_timeout: float | None = None
    """Seconds a publish may wait for the ordering lock (None: server default)."""
    connect_timeout: float = 10.0
    """Seconds to wait for the server when opening a connection."""
    page_size: int = 1000
    """Events fetched per round trip by a scan."""
    application_name: str = "tidings"
    """Shown in ``pg_stat_activity``."""
    sslmode: str | None = None
    """libpq's ``sslmode`` (``disable``, ``require``, ``verify-full``...)."""

    def __post_init__(self) -> None:
        validate_schema_name(self.schema)
        if not isinstance(self.ordering, Ordering):
            raise ConfigurationError(
                f"option 'ordering' must be an Ordering, got {self.ordering!r}"
            )
        if self.pool_min_size < 0:
            raise ConfigurationError(
                f"option 'pool_min_size' must be >= 0, got {self.pool_min_size}"
            )
        if self.pool_max_size < max(1, self.pool_min_size):
            raise ConfigurationError(
                "option 'pool_max_size' must be >= 1 and >= pool_min_size, "
                f"got {self.pool_max_size}"
            )
        for field in ("statement_timeout", "lock_timeout"):
            value = getattr(self, field)
            if value is not None and value <= 0:
                raise ConfigurationError(f"option {field!r} must be > 0 seconds, got {value}")
        if self.connect_timeout <= 0:
            raise ConfigurationError(
                f"option 'connect_timeout' must be > 0 seconds, got {self.connect_timeout}"
            )
        if self.page_size < 1:
            raise ConfigurationError(f"option 'page_size' must be >= 1, got {self.page_size}")
