"""The SQL text of every query the adapter sends, rendered once per schema.

I/O-free and shared by every face of the adapter. Scans are keyset-paged on the
sequence number, with ``after``, the page size and the name filter applied in SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tidings.adapters import Identifier, ScopeKind
from tidings_postgres.schema import EVENT_COLUMNS, render_query

__all__ = ["Statements", "scope_parameters"]

_COLUMNS = ", ".join(EVENT_COLUMNS)
_WHERE: Mapping[ScopeKind, str] = {
    "log": "TRUE",
    "category": "category = %(category)s",
    "stream": "category = %(category)s AND stream = %(stream)s",
}
# Binary parameters: adapting the arrays in binary measured ~15% faster per publish.
_PUBLISH = (
    "SELECT * FROM {s}.publish(%b, %b, %b::text[], %b::boolean[], %b::boolean[],"
    " %b::bigint[], %b::integer[], %b::text[], %b::integer[], %b::text[], %b::text[],"
    " %b::text[], %b::text[], %b::timestamptz[], %b::timestamptz[])"
)
# One batch with a built-in condition, in one statement and without the append
# function: the ordering lock, then the stream's last position, then the insert, whose
# sequence numbers and ``recorded_at`` are drawn after the lock. The statement's snapshot
# predates the lock, so the last position read may be stale: then the insert at the
# next position breaks the stream's unique key (a writer took it), or the condition
# looks unmet and no row comes back. Either way nothing is stored, and the caller asks
# the append function, which reads after the lock. Measured with pgbench: the function
# costs about 1.4x an autocommitted INSERT on the server, this statement about 1.05x.
_APPEND_ONE = (
    "WITH locked AS MATERIALIZED (SELECT {lock}{notify}),"
    " head AS MATERIALIZED (SELECT coalesce((SELECT e.position FROM {s}.events AS e"
    " WHERE e.category = %(category)b AND e.stream = %(stream)b"
    " ORDER BY e.position DESC LIMIT 1), -1) AS last, clock_timestamp() AS now FROM locked)"
    " INSERT INTO {s}.events AS e (id, name, category, stream, position, payload, metadata,"
    " occurred_at, observed_at, recorded_at)"
    " SELECT u.id, u.name, %(category)b, %(stream)b, head.last + u.n, u.payload, u.metadata,"
    " u.occurred, u.observed, head.now"
    " FROM head, unnest(%(ids)b::text[], %(names)b::text[], %(payloads)b::text[],"
    " %(metadata)b::text[], %(occurred)b::timestamptz[], %(observed)b::timestamptz[])"
    " WITH ORDINALITY AS u(id, name, payload, metadata, occurred, observed, n)"
    " WHERE CASE WHEN head.last < 0 THEN %(empty_ok)b::boolean"
    " ELSE %(any_position)b::boolean OR head.last = ANY(%(positions)b::bigint[]) END"
    " ORDER BY u.n"
    " RETURNING e.id, e.position, e.sequence_number, e.recorded_at"
)
# At log level the wake-up of subscribers (see ``notifications``) rides in the same
# statement: PostgreSQL holds a database-wide lock from a notifying transaction's commit
# through its flush, but log-level commits are serialised by the ordering lock anyway,
# and a NOTIFY of its own costs a second round trip and a second transaction (measured
# with pgbench: the publish at 1.2x an INSERT, with its own NOTIFY after it 2.3x, with
# the NOTIFY inside 1.4x).
_NOTIFY = ", pg_notify(%(channel)b, '')"
# The log level's lock is the one ``take_locks`` takes for it, without the call of a
# PL/pgSQL function (measured with pgbench: about 6% of the statement).
_LOG_LOCK = "pg_advisory_xact_lock(hashtextextended({ns} || ':log', 0))"
_ANY_LOCK = "{s}.take_locks(%(level)b, %(category)b, %(streams)b::text[])"


def _append_one(lock: str, notify: str) -> str:
    return _APPEND_ONE.replace("{lock}", lock).replace("{notify}", notify)


def scope_parameters(target: Identifier) -> dict[str, object]:
    """The named parameters that select ``target`` in scans and ``latest``."""
    return dict(zip(("category", "stream"), target.keys))


@dataclass(frozen=True, slots=True)
class Statements:
    """Queries for one schema. Each is a fixed string, so psycopg prepares it once per
    connection and reuses the plan. Every one is sent with parameters (``latest`` of the
    log with an empty mapping), so each is rendered by :func:`render_query`."""

    publish: str
    """One call of the append function: lock, retry check, conditions, insert."""
    append_one: str
    """One batch without caller ids, in one statement, at any ordering level; may read a
    stale last position, and then stores nothing (see ``_APPEND_ONE``)."""
    append_one_log: str
    """``append_one`` at log level."""
    append_one_log_notifying: str
    """``append_one_log`` that also notifies the ``channel`` parameter when it commits."""
    take_locks: str
    """The ordering lock alone, for the general path of custom conditions."""
    existing_ids: str
    """Stored events with any of the given ids."""
    last_event: str
    """The last event of a stream, for custom conditions."""
    scans: Mapping[tuple[ScopeKind, bool], str]
    latests: Mapping[ScopeKind, str]
    follows: Mapping[tuple[ScopeKind, bool], str]
    """A subscription's page in commit order: events of the log or a category after a
    (transaction, sequence number) checkpoint, below the commit horizon."""
    heads: Mapping[ScopeKind, str]
    """The last event of the log or a category in commit order, and the horizon, for a
    subscription that starts at the end."""
    pendings: Mapping[tuple[ScopeKind, bool], str]
    """Whether committed events wait after a checkpoint behind a running transaction."""

    @classmethod
    def for_schema(cls, schema: str) -> Statements:
        """Render every query for ``schema``."""
        select = f"SELECT {_COLUMNS} FROM {{s}}.events"
        scans = {
            (scope, filtered): render_query(
                f"{select} WHERE {where} AND sequence_number > %(after)s::bigint"
                + (" AND name = ANY(%(names)s::text[])" if filtered else "")
                + " ORDER BY sequence_number LIMIT %(limit)s::bigint",
                schema,
            )
            for scope, where in _WHERE.items()
            for filtered in (False, True)
        }
        latests = {
            scope: render_query(
                f"{select} WHERE {where} ORDER BY sequence_number DESC LIMIT 1", schema
            )
            for scope, where in _WHERE.items()
        }
        follows: dict[tuple[ScopeKind, bool], str] = {
            (scope, filtered): render_query(
                # The alias matters: ORDER BY transaction_id would otherwise sort by this
                # text output column ("1002" < "999"), and a page could end below events
                # it holds, or skip some, where transaction ids change their digit count.
                f"SELECT {_COLUMNS}, transaction_id::text AS checkpoint_transaction"
                f" FROM {{s}}.events WHERE {where}"
                " AND (transaction_id, sequence_number)"
                " > (%(transaction)s::text::xid8, %(after)s::bigint)"
                " AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())"
                + (" AND name = ANY(%(names)s::text[])" if filtered else "")
                + " ORDER BY transaction_id, sequence_number LIMIT %(limit)s::bigint",
                schema,
            )
            for scope, where in _WHERE.items()
            if scope != "stream"
            for filtered in (False, True)
        }
        heads: dict[ScopeKind, str] = {
            scope: render_query(
                "SELECT last.transaction_id::text, last.sequence_number,"
                " pg_snapshot_xmin(pg_current_snapshot())::text"
                f" FROM (SELECT 1) AS one LEFT JOIN (SELECT transaction_id, sequence_number"
                f" FROM {{s}}.events WHERE {where}"
                " ORDER BY transaction_id DESC, sequence_number DESC LIMIT 1) AS last ON TRUE",
                schema,
            )
            for scope, where in _WHERE.items()
            if scope != "stream"
        }
        pendings: dict[tuple[ScopeKind, bool], str] = {
            (scope, filtered): render_query(
                f"SELECT EXISTS (SELECT 1 FROM {{s}}.events WHERE {where}"
                " AND (transaction_id, sequence_number)"
                " > (%(transaction)s::text::xid8, %(after)s::bigint)"
                + (" AND name = ANY(%(names)s::text[])" if filtered else "")
                + " AND %(limit)s::bigint > 0)",
                schema,
            )
            for scope, where in _WHERE.items()
            if scope != "stream"
            for filtered in (False, True)
        }
        return cls(
            publish=render_query(_PUBLISH, schema),
            append_one=render_query(_append_one(_ANY_LOCK, ""), schema),
            append_one_log=render_query(_append_one(_LOG_LOCK, ""), schema),
            append_one_log_notifying=render_query(_append_one(_LOG_LOCK, _NOTIFY), schema),
            take_locks=render_query("SELECT {s}.take_locks(%s, %s, %s::text[])", schema),
            existing_ids=render_query(f"{select} WHERE id = ANY(%s::text[])", schema),
            last_event=render_query(
                f"{select} WHERE category = %s AND stream = %s ORDER BY position DESC LIMIT 1",
                schema,
            ),
            scans=scans,
            latests=latests,
            follows=follows,
            heads=heads,
            pendings=pendings,
        )

    def scan(self, target: Identifier, *, filtered: bool) -> str:
        """One page of a scan: events of ``target`` after a sequence number."""
        return self.scans[(target.kind, filtered)]

    def latest(self, target: Identifier) -> str:
        """The event with the highest sequence number in ``target``."""
        return self.latests[target.kind]
