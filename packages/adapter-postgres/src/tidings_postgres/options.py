"""Typed options of ``postgresql://``, the rules for the schema name, and the libpq
connection parameters a config string may pass through.

Every option is checked here, when the options are built, so a wrong value raises
:class:`~tidings.ConfigurationError` naming the option before any connection is tried.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tidings.adapters import (
    URL,
    ConfigurationError,
    Ordering,
)

__all__ = [
    "LIBPQ_SETTINGS",
    "MAX_IDENTIFIER_BYTES",
    "MAX_PAGE_SIZE",
    "MAX_POOL_SIZE",
    "MAX_SECONDS",
    "PostgresOptions",
    "validate_schema_name",
]

MAX_IDENTIFIER_BYTES = 63
"""PostgreSQL silently truncates longer identifiers, which could merge two schemas."""

MAX_SECONDS = 2_147_483.0
"""The longest duration any option may give, in seconds (about 24.8 days): PostgreSQL
and libpq hold ``statement_timeout``, ``lock_timeout`` and ``tcp_user_timeout`` as a C
``int`` of milliseconds, so a longer one is refused by the server or wraps around."""

MAX_PAGE_SIZE = 1_000_000
"""The most events a scan fetches per round trip (as for SQLite); a page is held in
memory whole, so larger pages only cost memory."""

MAX_POOL_SIZE = 262_143
"""PostgreSQL's hard ceiling on ``max_connections``: a larger pool could never be filled."""

_MAX_KEEPALIVE_SECONDS = 32_767
"""Linux's ceiling on ``TCP_KEEPIDLE`` and ``TCP_KEEPINTVL``; libpq fails to connect past it."""

_MAX_KEEPALIVE_COUNT = 127
"""Linux's ceiling on ``TCP_KEEPCNT``."""

LIBPQ_SETTINGS = (
    "channel_binding",
    "gssdelegation",
    "gssencmode",
    "krbsrvname",
    "options",
    "passfile",
    "require_auth",
    "requirepeer",
    "ssl_max_protocol_version",
    "ssl_min_protocol_version",
    "sslcert",
    "sslcertmode",
    "sslcompression",
    "sslcrl",
    "sslcrldir",
    "sslkey",
    "sslmode",
    "sslnegotiation",
    "sslrootcert",
    "sslsni",
    "target_session_attrs",
)
"""libpq connection parameters that pass through to libpq unchanged, as text; libpq
checks their values when it connects. Left out on purpose: where and as whom to connect
(``host``, ``hostaddr``, ``port``, ``dbname``, ``user``, ``service``), which come from
the URL so that every error names the real server; secrets (``password``,
``sslpassword``, ``oauth_client_secret``, ``scram_*``), which would show in the options'
repr; ``client_encoding`` (tidings needs UTF-8) and ``replication`` (such a session cannot
run the adapter's queries); and the parameters with typed options of their own."""


def validate_schema_name(name: object) -> str:
    """Return ``name`` if PostgreSQL can hold it exactly as a quoted identifier.

    Any other text is allowed: it is always quoted, never pasted into SQL, so a name such
    as ``x"; DROP TABLE t; --`` is just an odd schema name, and ``%s`` is escaped for
    psycopg's placeholders wherever it could be read as one.
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


def _check_seconds(name: str, value: object, *, optional: bool) -> None:
    """A duration must be a finite number of seconds in (0, MAX_SECONDS]: NaN and
    infinity would otherwise fail deep inside the driver as a ValueError or
    OverflowError, and a huge value would be refused by the server at connect time."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(
            f"option {name!r} must be a number of seconds, got {value!r}"
            + ("; use None for no limit" if optional else "")
        )
    if not math.isfinite(value) or not 0 < value <= MAX_SECONDS:
        hint = "; use None for no limit" if optional else ""
        raise ConfigurationError(
            f"option {name!r} must be a finite number of seconds in (0, {MAX_SECONDS:.0f}], "
            f"got {value!r}{hint}"
        )


def _check_int(name: str, value: object, low: int, high: int) -> None:
    """A count must be an int (not a bool) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"option {name!r} must be an int, got {value!r}")
    if not low <= value <= high:
        raise ConfigurationError(f"option {name!r} must be in {low}-{high}, got {value}")


def _check_text(name: str, value: object, *, optional: bool) -> None:
    """Text that goes to libpq must be a str without NUL, which C strings cannot hold."""
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise ConfigurationError(f"option {name!r} must be a str, got {value!r}")
    if "\x00" in value:
        raise ConfigurationError(f"option {name!r} must not contain a NUL character")


def _check_read_url(value: object) -> None:
    """``read_url`` must be a postgresql:// config string whose query says nothing but
    ``target_session_attrs``: the other options are this store's."""
    _check_text("read_url", value, optional=True)
    if value is None:
        return
    assert isinstance(value, str)
    url = URL.parse(value)
    if url.scheme not in ("postgresql", "postgres"):
        raise ConfigurationError(
            f"option 'read_url' must be a postgresql:// config string, got {url.scheme}://"
        )
    extra = sorted(set(url.query) - {"target_session_attrs"})
    if extra:
        raise ConfigurationError(
            f"option 'read_url' may only set target_session_attrs in its query, got "
            f"{', '.join(extra)} (the other options are the store's own)"
        )


@dataclass(frozen=True, slots=True)
class PostgresOptions:
    """Options of ``postgresql://``, from the query string or keyword arguments.

    Durations are in seconds, whatever unit libpq or the server uses underneath.
    """

    schema: str = "tidings"
    """The schema that holds the events table; created on first use."""
    ordering: Ordering = Ordering.LOG
    """The scope at which writes are serialised: ``log``, ``category`` or ``stream``."""
    mode: str = "auto"
    """``auto``: create or migrate the schema on first use. ``ro``: never write, not even
    the schema; the schema must exist at the current version, and publishing or saving a
    projection raises :class:`~tidings.UnsupportedCapabilityError` (``tidings`` commands
    that only read open stores so)."""
    pool_min_size: int = 1
    """Connections the pool keeps open."""
    pool_max_size: int = 10
    """Connections the pool opens at most; more callers wait for one."""
    statement_timeout: float | None = None
    """Seconds a statement may run before the server cancels it (None: server default)."""
    lock_timeout: float | None = None
    """Seconds a publish may wait for the ordering lock (None: server default)."""
    connect_timeout: float = 10.0
    """Seconds to wait for the server when opening a connection, and for a free pooled
    connection."""
    operation_timeout: float | None = None
    """Seconds one call may wait for the server on a connection (a publish attempt, a
    page of a scan, ``latest``, a projection read or save) before the client gives up,
    drops that connection and raises :class:`~tidings.StorageError`. It bounds a call
    even when the peer is silent but its TCP stack still answers (a hung proxy or
    server), which no socket setting detects. None (the default): no client-side limit,
    because the client cannot tell a slow server from a dead one, and a publish cut
    short has an unknown outcome. Set it above ``statement_timeout``."""
    keepalives: bool = True
    """Whether TCP keepalives probe idle connections (libpq ``keepalives``)."""
    keepalives_idle: int = 10
    """Seconds of silence before the first keepalive probe."""
    keepalives_interval: int = 5
    """Seconds between unanswered keepalive probes."""
    keepalives_count: int = 4
    """Unanswered probes before the connection is dropped: with the defaults a dead peer
    is detected after about 10 + 4 x 5 = 30 seconds."""
    tcp_user_timeout: float | None = 30.0
    """Seconds sent data may stay unacknowledged before the kernel drops the connection
    (libpq ``tcp_user_timeout``, which takes milliseconds). With keepalives on, it also
    caps how long probes may go unanswered. None: the OS default, which retransmits for
    about 15 minutes."""
    page_size: int = 1000
    """Events fetched per round trip by a scan."""
    notify: bool = True
    """Whether a publish wakes subscribers with ``NOTIFY`` after its commit, so that they
    see new events within milliseconds. Off, subscribers find them by polling every
    ``poll_interval``; a store with no live subscribers saves one short statement per
    publish."""
    application_name: str = "tidings"
    """Shown in ``pg_stat_activity``."""
    sslmode: str | None = None
    """libpq's ``sslmode`` (``disable``, ``require``, ``verify-full``...)."""
    channel_binding: str | None = None
    """libpq's ``channel_binding`` (``disable``, ``prefer``, ``require``)."""
    gssdelegation: str | None = None
    """libpq's ``gssdelegation`` (libpq 16+)."""
    gssencmode: str | None = None
    """libpq's ``gssencmode`` (``disable``, ``prefer``, ``require``)."""
    krbsrvname: str | None = None
    """libpq's ``krbsrvname``: the Kerberos service name."""
    options: str | None = None
    """libpq's ``options``: command-line options for the session, such as
    ``-c work_mem=64MB``. The adapter's own settings (``TimeZone``,
    ``default_transaction_isolation``, and the timeouts when set) come after them and win."""
    passfile: str | None = None
    """libpq's ``passfile``: the password file to use instead of ``~/.pgpass``."""
    require_auth: str | None = None
    """libpq's ``require_auth`` (libpq 16+), such as ``scram-sha-256``."""
    requirepeer: str | None = None
    """libpq's ``requirepeer``: the OS user the server must run as (Unix sockets)."""
    ssl_max_protocol_version: str | None = None
    """libpq's ``ssl_max_protocol_version``, such as ``TLSv1.3``."""
    ssl_min_protocol_version: str | None = None
    """libpq's ``ssl_min_protocol_version``, such as ``TLSv1.2``."""
    sslcert: str | None = None
    """libpq's ``sslcert``: the client certificate file."""
    sslcertmode: str | None = None
    """libpq's ``sslcertmode`` (libpq 16+)."""
    sslcompression: str | None = None
    """libpq's ``sslcompression``."""
    sslcrl: str | None = None
    """libpq's ``sslcrl``: the certificate revocation list file."""
    sslcrldir: str | None = None
    """libpq's ``sslcrldir``: the certificate revocation list directory."""
    sslkey: str | None = None
    """libpq's ``sslkey``: the client key file."""
    sslnegotiation: str | None = None
    """libpq's ``sslnegotiation`` (libpq 17+): ``postgres`` or ``direct``."""
    sslrootcert: str | None = None
    """libpq's ``sslrootcert``: the CA certificates file (or ``system``)."""
    sslsni: str | None = None
    """libpq's ``sslsni``: ``1`` to send the host name in TLS, ``0`` not to."""
    target_session_attrs: str | None = None
    """libpq's ``target_session_attrs``, such as ``read-write``: refuse a server that is
    not a primary (after a failover behind one DNS name, for example)."""
    read_url: str | None = field(default=None, repr=False)
    """A second config string for reads of events (scans, ``latest``, subscriptions),
    usually the standbys: ``postgresql://h2:5433,h3:5434/db?target_session_attrs=standby``.
    Its host list, user, password and database are used; of its query, only
    ``target_session_attrs``. Every other option comes from this store's. Writes and
    projections stay on the primary. Not shown in the options' repr (it may hold a
    password)."""

    def __post_init__(self) -> None:
        validate_schema_name(self.schema)
        if not isinstance(self.ordering, Ordering):
            raise ConfigurationError(
                f"option 'ordering' must be an Ordering, got {self.ordering!r}"
            )
        if self.mode not in ("auto", "ro"):
            raise ConfigurationError(f"option 'mode' must be 'auto' or 'ro', got {self.mode!r}")
        _check_int("pool_min_size", self.pool_min_size, 0, MAX_POOL_SIZE)
        _check_int("pool_max_size", self.pool_max_size, 1, MAX_POOL_SIZE)
        if self.pool_max_size < self.pool_min_size:
            raise ConfigurationError(
                "option 'pool_max_size' must be >= pool_min_size "
                f"({self.pool_min_size}), got {self.pool_max_size}"
            )
        for name in ("statement_timeout", "lock_timeout", "operation_timeout", "tcp_user_timeout"):
            _check_seconds(name, getattr(self, name), optional=True)
        _check_seconds("connect_timeout", self.connect_timeout, optional=False)
        for name in ("keepalives", "notify"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigurationError(
                    f"option {name!r} must be a bool, got {getattr(self, name)!r}"
                )
        _check_int("keepalives_idle", self.keepalives_idle, 1, _MAX_KEEPALIVE_SECONDS)
        _check_int("keepalives_interval", self.keepalives_interval, 1, _MAX_KEEPALIVE_SECONDS)
        _check_int("keepalives_count", self.keepalives_count, 1, _MAX_KEEPALIVE_COUNT)
        _check_int("page_size", self.page_size, 1, MAX_PAGE_SIZE)
        _check_text("application_name", self.application_name, optional=False)
        for name in LIBPQ_SETTINGS:
            _check_text(name, getattr(self, name), optional=True)
        _check_read_url(self.read_url)

    def libpq_settings(self) -> dict[str, str]:
        """The pass-through libpq parameters that are set, by keyword."""
        return {
            name: value for name in LIBPQ_SETTINGS if (value := getattr(self, name)) is not None
        }
