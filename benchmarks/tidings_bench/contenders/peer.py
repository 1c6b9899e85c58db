"""eventsourcing through its recorder API: the application recorders of ``popo``,
``sqlite`` and ``postgres``, with ``StoredEvent`` objects whose state is already
serialised (the recorder neither encodes nor decodes JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from eventsourcing.persistence import ApplicationRecorder, IntegrityError, StoredEvent

from ..backends import Location
from ..workload import EVENT_NAME, Write, payload_bytes, stream_uuid
from .base import Contender

__all__ = ["PeerContender", "open_recorder"]

TOPIC = f"bench.events:{EVENT_NAME}"
POSTGRES_POOL_SIZE = 4
"""eventsourcing's default PostgreSQL pool holds one connection; the 4-writer scenarios
need four, as tidings' pool gives them."""


class _Closable(Protocol):
    def close(self) -> None: ...


class PeerContender(Contender[list[StoredEvent]]):
    """An eventsourcing application recorder with its table created."""

    label = "eventsourcing"

    def __init__(self, location: Location) -> None:
        self.recorder, self._datastore = open_recorder(location)

    def prepare(self, writes: Sequence[Write]) -> list[list[StoredEvent]]:
        return [
            [
                StoredEvent(
                    originator_id=stream_uuid(write.stream),
                    originator_version=write.position + offset,
                    topic=TOPIC,
                    state=payload_bytes(write.position + offset),
                )
                for offset in range(write.count)
            ]
            for write in writes
        ]

    def append(self, prepared: list[StoredEvent]) -> None:
        self.recorder.insert_events(prepared)

    def read_stream(self, stream: int) -> int:
        return len(self.recorder.select_events(stream_uuid(stream)))

    def read_log(self, page: int) -> int:
        count, start = 0, 0
        while notifications := self.recorder.select_notifications(
            start, page, inclusive_of_start=False
        ):
            count += len(notifications)
            start = notifications[-1].id
        return count

    def first_page(self, page: int) -> int:
        return len(self.recorder.select_notifications(None, page))

    def scan_log(self) -> int:
        # The recorder has no lazy iterator of its own: page through, keeping nothing.
        return self.read_log(1_000)

    def append_next(self, prepared: list[StoredEvent]) -> bool:
        (event,) = prepared
        last = self.recorder.select_events(event.originator_id, desc=True, limit=1)
        version = last[0].originator_version + 1 if last else 0
        try:
            self.recorder.insert_events(
                [StoredEvent(event.originator_id, version, event.topic, event.state)]
            )
        except IntegrityError:
            return False
        return True

    def positions(self, stream: int) -> list[int]:
        return [
            event.originator_version for event in self.recorder.select_events(stream_uuid(stream))
        ]

    def close(self) -> None:
        if self._datastore is not None:
            self._datastore.close()


def open_recorder(location: Location) -> tuple[ApplicationRecorder, _Closable | None]:
    """The application recorder for ``location``'s backend, with its table created."""
    backend = location.row.backend
    if backend == "memory":
        from eventsourcing.popo import POPOApplicationRecorder

        return POPOApplicationRecorder(), None
    if backend == "sqlite":
        from eventsourcing.sqlite import SQLiteApplicationRecorder

        from .peer_sqlite import sqlite_datastore

        sqlite_store = sqlite_datastore(location.sqlite_path, location.row.setting)
        sqlite_recorder = SQLiteApplicationRecorder(sqlite_store)
        sqlite_recorder.create_table()
        return sqlite_recorder, sqlite_store
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(location.postgres_url)
    postgres_store = PostgresDatastore(
        dbname=str(params.get("dbname", "postgres")),
        host=str(params.get("host", "127.0.0.1")),
        port=str(params.get("port", 5432)),
        user=str(params.get("user", "postgres")),
        password=str(params.get("password", "")),
        schema=location.schema,
        pool_size=POSTGRES_POOL_SIZE,
    )
    postgres_recorder = PostgresApplicationRecorder(postgres_store)
    postgres_recorder.create_table()
    return postgres_recorder, postgres_store
