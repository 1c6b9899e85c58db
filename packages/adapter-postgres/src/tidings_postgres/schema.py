"""The schema: DDL and the server-side append function, as SQL text built once.

I/O-free, shared by both faces. Every identifier is composed with
:class:`psycopg.sql.Identifier`; function bodies are composed the same way and then
quoted as one literal, so no name is ever pasted into SQL. Statements sent with
parameters are rendered by :func:`render_query`, which also keeps a ``%`` in the schema
name from being read as a placeholder.
"""

from __future__ import annotations

from psycopg import sql

__all__ = ["EVENT_COLUMNS", "SCHEMA_VERSION", "ddl", "render", "render_query"]

SCHEMA_VERSION = 3
"""Recorded in ``schema_version``, so that later releases can migrate older schemas.
Version 1: events; version 2: projections; version 3: each event's transaction id."""

EVENT_COLUMNS = (
    "id",
    "name",
    "category",
    "stream",
    "position",
    "sequence_number",
    "payload",
    "metadata",
    "occurred_at",
    "observed_at",
    "recorded_at",
)
"""The order in which every query returns an event; :mod:`tidings_postgres.rows` decodes it."""


_TABLES = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.schema_version (
    version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {s}.events (
    sequence_number bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL,
    name text NOT NULL,
    category text NOT NULL,
    stream text NOT NULL,
    position bigint NOT NULL CHECK (position >= 0),
    payload text NOT NULL,
    metadata text NOT NULL,
    occurred_at timestamptz NOT NULL,
    observed_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT events_id_key UNIQUE (id),
    CONSTRAINT events_stream_position_key UNIQUE (category, stream, position)
);
CREATE INDEX IF NOT EXISTS events_category_sequence_idx ON {s}.events (category, sequence_number);
CREATE INDEX IF NOT EXISTS events_stream_sequence_idx
    ON {s}.events (category, stream, sequence_number);
"""

# Version 2. ``state`` is the exact JSON text written by the core codec and is what loads;
# ``state_jsonb`` is derived from it by the server, for queries only (jsonb is not exact:
# 1e16 becomes an int, -0.0 becomes 0.0). Names and ids collate as "C", so the tie-break
# and keyset paging order by code point, as Python does.
_PROJECTIONS = """
CREATE TABLE IF NOT EXISTS {s}.projections (
    name text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    state text NOT NULL,
    state_jsonb jsonb GENERATED ALWAYS AS (state::jsonb) STORED,
    source text COLLATE "C",
    position bigint,
    sequence_number bigint,
    projector_version integer NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT projections_pkey PRIMARY KEY (name, id)
);
CREATE INDEX IF NOT EXISTS projections_source_idx ON {s}.projections (name, source, id);
"""

# Version 3. Each event records the id of the transaction that wrote it, assigned at its
# first insert, which comes after the ordering lock: so within any scope whose writes
# are serialised, transaction ids grow in commit order. Subscribers of the log and of
# categories read in (transaction id, sequence number) order and only below the commit
# horizon (the oldest transaction still running), where no later commit can land: they
# never skip an event, even when writers lock only streams and commit out of sequence
# number order. Existing rows get 0: they were all committed before the upgrade.
_TRANSACTIONS = """
ALTER TABLE {s}.events ADD COLUMN IF NOT EXISTS transaction_id xid8 NOT NULL DEFAULT '0';
ALTER TABLE {s}.events ALTER COLUMN transaction_id SET DEFAULT pg_current_xact_id();
CREATE INDEX IF NOT EXISTS events_transaction_idx
    ON {s}.events (transaction_id, sequence_number);
CREATE INDEX IF NOT EXISTS events_category_transaction_idx
    ON {s}.events (category, transaction_id, sequence_number);
"""

_REJECT_CHANGE = """
BEGIN
    RAISE EXCEPTION 'tidings events are immutable: % on %.% is not allowed',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
"""

_TRIGGERS = """
CREATE OR REPLACE FUNCTION {s}.reject_change() RETURNS trigger LANGUAGE plpgsql AS {reject};
DROP TRIGGER IF EXISTS events_immutable ON {s}.events;
CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON {s}.events
    FOR EACH ROW EXECUTE FUNCTION {s}.reject_change();
DROP TRIGGER IF EXISTS events_no_truncate ON {s}.events;
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON {s}.events
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.reject_change();
"""

# Hierarchical (intention) locks: a log-level writer takes the log key exclusively; a
# category-level writer shares the log key and takes its category's key; a stream-level
# writer shares both and takes its streams' keys in ascending order. Stores of one schema
# with different ordering levels therefore still exclude each other where they overlap,
# and the fixed order rules out deadlocks between multi-stream publishes.
_TAKE_LOCKS = """
DECLARE
    v_key bigint;
    v_category text := {ns} || ':c:' || length(p_category) || ':' || p_category;
BEGIN
    IF p_level = 'log' THEN
        PERFORM pg_advisory_xact_lock(hashtextextended({ns} || ':log', 0));
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(hashtextextended({ns} || ':log', 0));
    IF p_level = 'category' THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(v_category, 0));
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(hashtextextended(v_category, 0));
    FOR v_key IN
        SELECT DISTINCT hashtextextended(v_category || ':s:' || s, 0) AS k
        FROM unnest(p_streams) AS s ORDER BY k
    LOOP
        PERFORM pg_advisory_xact_lock(v_key);
    END LOOP;
END
"""

# Generic plans: every statement in it is an equality lookup on an index, and replanning
# each call for its array arguments cost four times the rest of the function (measured).
# The last positions are read in a statement after the one that took the lock: a
# VOLATILE function in READ COMMITTED takes a fresh snapshot per statement, so it sees
# every write committed before the lock was granted. Reading them in the locking
# statement would use a snapshot from before the wait.
_PUBLISH = """
DECLARE
    v_last bigint[];
    v_failed integer;
    v_now timestamptz;
BEGIN
    PERFORM {s}.take_locks(p_level, p_category, p_streams);
    IF cardinality(p_check_ids) > 0 THEN
        RETURN QUERY SELECT 'existing'::text, NULL::integer, {e_columns}
            FROM {s}.events AS e WHERE e.id = ANY(p_check_ids);
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;
    SELECT array_agg(
        (SELECT max(e.position) FROM {s}.events AS e
         WHERE e.category = p_category AND e.stream = t.s) ORDER BY t.i)
    INTO v_last
    FROM unnest(p_streams) WITH ORDINALITY AS t(s, i);
    SELECT t.i INTO v_failed FROM generate_subscripts(p_streams, 1) AS t(i)
    WHERE NOT CASE
        WHEN v_last[t.i] IS NULL THEN p_empty_ok[t.i]
        ELSE p_any_position[t.i] OR EXISTS (
            SELECT 1 FROM unnest(p_positions, p_position_batches) AS c(pos, b)
            WHERE c.b = t.i AND c.pos = v_last[t.i])
    END
    ORDER BY t.i LIMIT 1;
    IF v_failed IS NOT NULL THEN
        RETURN QUERY SELECT 'unmet'::text, v_failed, {e_columns}
            FROM {s}.events AS e
            WHERE e.category = p_category AND e.stream = p_streams[v_failed]
            ORDER BY e.position DESC LIMIT 1;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'unmet'::text, v_failed, {null_columns};
        END IF;
        RETURN;
    END IF;
    v_now := clock_timestamp();
    RETURN QUERY
    INSERT INTO {s}.events AS e
        (id, name, category, stream, position, payload, metadata,
         occurred_at, observed_at, recorded_at)
    SELECT u.id, u.name, p_category, p_streams[u.b],
           coalesce(v_last[u.b], -1) + row_number() OVER (PARTITION BY u.b ORDER BY u.n),
           u.payload, u.metadata, u.occurred, u.observed, v_now
    FROM unnest(p_event_batches, p_ids, p_names, p_payloads, p_metadata, p_occurred, p_observed)
         WITH ORDINALITY AS u(b, id, name, payload, metadata, occurred, observed, n)
    ORDER BY u.n
    RETURNING 'stored'::text, NULL::integer, e.id, NULL::text, NULL::text, NULL::text,
              e.position, e.sequence_number, NULL::text, NULL::text,
              NULL::timestamptz, NULL::timestamptz, e.recorded_at;
END
"""

_FUNCTIONS = """
CREATE OR REPLACE FUNCTION {s}.take_locks(p_level text, p_category text, p_streams text[])
RETURNS void LANGUAGE plpgsql VOLATILE AS {take_locks};
CREATE OR REPLACE FUNCTION {s}.publish(
    p_level text, p_category text, p_streams text[],
    p_empty_ok boolean[], p_any_position boolean[],
    p_positions bigint[], p_position_batches integer[],
    p_check_ids text[],
    p_event_batches integer[], p_ids text[], p_names text[],
    p_payloads text[], p_metadata text[],
    p_occurred timestamptz[], p_observed timestamptz[])
RETURNS TABLE (
    o_kind text, o_batch integer,
    o_id text, o_name text, o_category text, o_stream text,
    o_position bigint, o_sequence_number bigint, o_payload text, o_metadata text,
    o_occurred_at timestamptz, o_observed_at timestamptz, o_recorded_at timestamptz)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS {publish};
"""

_NULL_COLUMNS = (
    "NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint, "
    "NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz"
)


def render(template: str, schema: str, **parts: sql.Composable) -> str:
    """SQL text from ``template`` with ``{s}`` as the quoted schema and ``{ns}`` as the
    lock namespace literal, plus ``parts``, for a statement sent without parameters."""
    return (
        sql.SQL(template)
        .format(s=sql.Identifier(schema), ns=sql.Literal(f"tidings:{schema}"), **parts)
        .as_string(None)
    )


def _placeholder_safe(name: sql.Composable) -> sql.SQL:
    """``name`` as SQL text with each ``%`` doubled, which psycopg reads back as one."""
    return sql.SQL(name.as_string(None).replace("%", "%%"))


def render_query(template: str, schema: str) -> str:
    """Like :func:`render`, for a statement sent with parameters (even an empty list).

    psycopg scans such a statement's text for ``%s`` and ``%(name)s`` placeholders, quoted
    identifiers included, so a schema named ``%s`` would read as one. Here the schema's
    ``%`` signs are doubled; the template's own placeholders are left as they are. A
    statement sent without parameters is not scanned, and must use :func:`render`.
    """
    return (
        sql.SQL(template)
        .format(
            s=_placeholder_safe(sql.Identifier(schema)),
            ns=_placeholder_safe(sql.Literal(f"tidings:{schema}")),
        )
        .as_string(None)
    )


def _body(template: str, schema: str) -> sql.Literal:
    e_columns = sql.SQL(", ".join(f"e.{column}" for column in EVENT_COLUMNS))
    text = render(template, schema, e_columns=e_columns, null_columns=sql.SQL(_NULL_COLUMNS))
    return sql.Literal(text)


def _projections(schema: str) -> str:
    return render(_PROJECTIONS, schema)


def _transactions(schema: str) -> str:
    return render(_TRANSACTIONS, schema)


def _events(schema: str) -> str:
    return "\n".join(
        (
            render(_TABLES, schema),
            render(_TRIGGERS, schema, reject=sql.Literal(_REJECT_CHANGE)),
            render(
                _FUNCTIONS,
                schema,
                take_locks=_body(_TAKE_LOCKS, schema),
                publish=_body(_PUBLISH, schema),
            ),
        )
    )


def ddl(schema: str, after: int = 0, upto: int = SCHEMA_VERSION) -> str:
    """The statements that take the schema from version ``after`` (0: nothing) to
    ``upto``; each step is idempotent."""
    steps = {1: _events, 2: _projections, 3: _transactions}
    return "\n".join(step(schema) for version, step in steps.items() if after < version <= upto)
