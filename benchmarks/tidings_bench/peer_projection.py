"""eventsourcing's exactly-once projection on PostgreSQL, as its own documentation and
tests build it: an ``Application`` stores aggregate events, a ``ProjectionRunner``
follows it, and a ``PostgresTrackingRecorder`` view writes each counter update and its
tracking record in one transaction per event (its ``PostgresEventCounters`` example).

The view counts "created" and "subsequent" events, the same state that the tidings
projection consumer of :mod:`tidings_bench.consumer_throughput` keeps.
"""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from psycopg.conninfo import conninfo_to_dict
from psycopg.sql import SQL, Identifier

__all__ = ["PeerProjectionRun", "load_peer_events", "peer_environment", "run_peer_projection"]


class Account(Aggregate):
    """One stream: created, then deposits."""

    def __init__(self, details: dict[str, Any]) -> None:
        self.details = details

    @event("Deposited")
    def deposit(self, details: dict[str, Any]) -> None:
        self.details = details


class BenchApplication(Application[UUID]):
    """The write model whose notification log the projection follows."""

    name = "BenchApplication"


class CountersView(PostgresTrackingRecorder):
    """Two counters in a table of their own; each update commits with its tracking row."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.counters_table_name = self.tracking_table_name.replace("_tracking", "")
        schema, table = Identifier(self.datastore.schema), Identifier(self.counters_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} (counter_name text, counter bigint, "
                "PRIMARY KEY (counter_name))"
            ).format(schema, table)
        )
        self.select_counter_statement = SQL(
            "SELECT counter FROM {0}.{1} WHERE counter_name=%s"
        ).format(schema, table)
        self.incr_counter_statement = SQL(
            "INSERT INTO {0}.{1} VALUES (%s, 1) ON CONFLICT (counter_name) DO UPDATE "
            "SET counter = {0}.{1}.counter + 1"
        ).format(schema, table)

    def counter(self, name: str) -> int:
        """The counter's value (0 when never incremented)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.select_counter_statement, (name,), prepare=True)
            row = curs.fetchone()
            return int(row["counter"]) if row else 0

    def increment(self, name: str, tracking: Tracking) -> None:
        """Count one event and record its tracking row, atomically."""
        with self.datastore.transaction(commit=True) as curs:
            self._insert_tracking(curs, tracking)
            curs.execute(self.incr_counter_statement, (name,), prepare=True)


class CountersProjection(Projection[CountersView]):
    """Counts created and subsequent events; signals when the last one is applied."""

    last_id: ClassVar[int] = 0
    reached: ClassVar[threading.Event]
    reached_at: ClassVar[float] = 0.0
    first_at: ClassVar[float] = 0.0

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if not type(self).first_at:
            type(self).first_at = time.perf_counter()
        kind = "created" if isinstance(domain_event, Aggregate.Created) else "subsequent"
        self.view.increment(kind, tracking)
        if tracking.notification_id >= type(self).last_id:
            type(self).reached_at = time.perf_counter()
            type(self).reached.set()


def peer_environment(postgres_url: str, schema: str) -> dict[str, str]:
    """The environment that points eventsourcing's factory at ``schema``."""
    params = conninfo_to_dict(postgres_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
        "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(params.get("port", 5432)),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_SCHEMA": schema,
    }


def load_peer_events(
    env: dict[str, str], streams: int, per_stream: int, details: list[dict[str, Any]]
) -> int:
    """Store ``streams`` aggregates of ``per_stream`` events through the application;
    return the last notification id."""
    app = BenchApplication(env)
    try:
        last = 0
        chunk: list[Account] = []
        for stream in range(streams):
            account = Account(details[0])
            for position in range(1, per_stream):
                account.deposit(details[position % len(details)])
            chunk.append(account)
            if len(chunk) == 50 or stream == streams - 1:
                recordings = app.save(*chunk)
                last = max(last, recordings[-1].notification.id)
                chunk = []
        return last
    finally:
        app.close()


class PeerProjectionRun:
    """The outcome of one run from scratch: seconds, and the counters it left."""

    def __init__(self, seconds: float, startup: float, created: int, subsequent: int) -> None:
        self.seconds = seconds
        self.startup = startup
        """Seconds from the runner's construction to its first event applied."""
        self.created = created
        self.subsequent = subsequent


def run_peer_projection(
    env: dict[str, str], name: str, last_id: int, timeout: float
) -> PeerProjectionRun:
    """Run a new projection (tables named ``name``) from the beginning until it has
    applied ``last_id``; time from the runner's construction to that event's commit."""
    projection_class = cast(
        "type[CountersProjection]",
        type(
            f"Counters_{name}",
            (CountersProjection,),
            {"name": name, "last_id": last_id, "reached": threading.Event(), "first_at": 0.0},
        ),
    )
    started = time.perf_counter()
    with ProjectionRunner(
        application_class=BenchApplication,
        projection_class=projection_class,
        view_class=CountersView,
        env=env,
    ) as runner:
        if not projection_class.reached.wait(timeout):
            raise TimeoutError(f"eventsourcing projection {name} did not reach {last_id}")
        seconds = projection_class.reached_at - started
        view = runner.projection.view
        startup = projection_class.first_at - started
        return PeerProjectionRun(
            seconds, startup, view.counter("created"), view.counter("subsequent")
        )
