"""Issue 16, item 5: a store over the application's psycopg pool (which stays the
application's), and publishing inside the application's own transaction, where its
rows and the events commit or roll back together. Both faces, on the real server."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool, ConnectionPool

import tidings
import tidings_postgres
from postgres_server import SchemaFactory
from tidings import NewEvent, StoredEvent, WriteCondition


class _Never(WriteCondition):
    """A custom condition, so the publish takes the general path (a transaction)."""

    def holds_for(self, last_event: StoredEvent | None) -> bool:
        return False

    def describe(self) -> str:
        return "never"


def _orders_table(schemas: SchemaFactory) -> str:
    """A table of the application's own, in a fresh schema; its qualified name."""
    schema = schemas.name()
    with schemas.connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'CREATE TABLE "{schema}".orders (id text PRIMARY KEY)')
    return f'"{schema}".orders'


# --- the application's pool -------------------------------------------------------------


@pytest.mark.parametrize("autocommit", [True, False])
def test_a_store_over_an_application_pool_leaves_it_open(
    schemas: SchemaFactory, autocommit: bool
) -> None:
    kwargs = {"autocommit": autocommit}
    with ConnectionPool(schemas.server_url, kwargs=kwargs, min_size=1, max_size=2) as pool:
        store = tidings_postgres.from_pool(pool, schema=schemas.name(), ordering="stream")
        stored = store.stream(category="c", stream="s").publish(
            events=[NewEvent(name="a"), NewEvent(name="b")]
        )
        assert [event.position for event in stored] == [0, 1]
        assert [event.name for event in store.log().read()] == ["a", "b"]
        assert store.stream(category="c", stream="s").latest() == stored[1]
        store.close()
        assert not pool.closed
        with pool.connection() as conn:
            # Given back as it came: the application's mode, no transaction left open.
            assert conn.autocommit is autocommit
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with pytest.raises(tidings.StoreClosedError):
            store.log().read()


def test_a_store_over_a_closed_pool_says_so(schemas: SchemaFactory) -> None:
    pool = ConnectionPool(schemas.server_url, open=False)
    with pytest.raises(tidings.StorageError, match="create schema"):
        tidings_postgres.from_pool(pool, schema=schemas.name())


def test_options_that_belong_to_the_pool_are_refused_by_name(schemas: SchemaFactory) -> None:
    with ConnectionPool(schemas.server_url, min_size=0, max_size=1) as pool:
        with pytest.raises(tidings.UnknownOptionError, match="pool_max_size"):
            tidings_postgres.from_pool(pool, pool_max_size=3)
        with pytest.raises(tidings.ConfigurationError, match="ordering"):
            tidings_postgres.from_pool(pool, ordering="sideways")
    with pytest.raises(tidings.ConfigurationError, match="ConnectionPool"):
        tidings_postgres.from_pool(object())  # type: ignore[call-overload]
    with pytest.raises(tidings.ConfigurationError, match="Connection"):
        tidings_postgres.bind(object())  # type: ignore[call-overload]


def test_an_async_store_over_an_application_pool_leaves_it_open(schemas: SchemaFactory) -> None:
    async def main() -> None:
        async with AsyncConnectionPool(schemas.server_url, min_size=1, max_size=2) as pool:
            store = tidings_postgres.from_pool(pool, schema=schemas.name())
            stored = await store.stream(category="c", stream="s").publish(
                events=[NewEvent(name="a")]
            )
            assert [event.name for event in await store.log().read()] == ["a"]
            assert stored[0].position == 0
            await store.aclose()
            assert not pool.closed
            async with pool.connection() as conn:
                assert conn.autocommit is False
                assert await (await conn.execute("SELECT 1")).fetchone() == (1,)

    asyncio.run(main())


# --- the application's transaction ------------------------------------------------------


def test_events_and_rows_commit_together(schemas: SchemaFactory) -> None:
    orders = _orders_table(schemas)
    schema = schemas.name()
    with tidings.connect(schemas.url(schema)):
        pass  # the schema exists before: another store could not see one made below
    with psycopg.connect(schemas.server_url) as conn:
        with conn.transaction():
            conn.execute(f"INSERT INTO {orders} VALUES ('o-1')")
            outbox = tidings_postgres.bind(conn, schema=schema)
            stored = outbox.stream(category="order", stream="o-1").publish(
                events=[NewEvent(name="placed")]
            )
            assert stored[0].position == 0
            # Not visible to anyone else before the commit.
            with tidings.connect(schemas.url(schema)) as other:
                assert other.log().read() == []
        outbox.close()
        assert not conn.closed
    with tidings.connect(schemas.url(schema)) as other, schemas.connect() as admin:
        assert [event.name for event in other.log().read()] == ["placed"]
        assert admin.execute(f"SELECT id FROM {orders}").fetchall() == [("o-1",)]


def test_events_and_rows_roll_back_together(schemas: SchemaFactory) -> None:
    orders = _orders_table(schemas)
    schema = schemas.name()
    with tidings.connect(schemas.url(schema)):
        pass  # the schema exists before the application's transaction

    def place_order(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        with conn.transaction():
            conn.execute(f"INSERT INTO {orders} VALUES ('o-1')")
            outbox = tidings_postgres.bind(conn, schema=schema)
            outbox.stream(category="order", stream="o-1").publish(events=[NewEvent(name="x")])
            raise RuntimeError("the application changes its mind")

    with psycopg.connect(schemas.server_url) as conn, pytest.raises(RuntimeError):
        place_order(conn)
    with tidings.connect(schemas.url(schema)) as other, schemas.connect() as admin:
        assert other.log().read() == []
        assert admin.execute(f"SELECT count(*) FROM {orders}").fetchone() == (0,)


def test_a_failed_publish_leaves_the_callers_transaction_usable(schemas: SchemaFactory) -> None:
    orders = _orders_table(schemas)
    schema = schemas.name()
    with psycopg.connect(schemas.server_url) as conn, conn.transaction():
        outbox = tidings_postgres.bind(conn, schema=schema)
        stream = outbox.stream(category="order", stream="o-1")
        stream.publish(events=[NewEvent(name="placed", id="e-1")])
        with pytest.raises(tidings.UnmetWriteConditionError):  # the fast path, in SQL
            stream.publish(events=[NewEvent(name="again")], condition=tidings.stream_is_empty())
        with pytest.raises(tidings.UnmetWriteConditionError):  # the general path, in Python
            stream.publish(events=[NewEvent(name="again")], condition=_Never())
        with pytest.raises(tidings.DuplicateEventIdError):
            outbox.stream(category="order", stream="o-2").publish(
                events=[NewEvent(name="clash", id="e-1")]
            )
        # An exact retry in the same transaction returns what is stored.
        assert stream.publish(events=[NewEvent(name="placed", id="e-1")])[0].id == "e-1"
        conn.execute(f"INSERT INTO {orders} VALUES ('o-1')")
    with tidings.connect(schemas.url(schema)) as other, schemas.connect() as admin:
        assert [event.id for event in other.log().read()] == ["e-1"]
        assert admin.execute(f"SELECT id FROM {orders}").fetchall() == [("o-1",)]


def test_the_ordering_lock_is_held_until_the_callers_commit(schemas: SchemaFactory) -> None:
    schema = schemas.name()
    with tidings.connect(schemas.url(schema)) as other:
        published: list[float] = []
        with psycopg.connect(schemas.server_url) as conn:
            with conn.transaction():
                outbox = tidings_postgres.bind(conn, schema=schema)
                outbox.stream(category="c", stream="a").publish(events=[NewEvent(name="first")])

                def second() -> None:
                    other.stream(category="c", stream="b").publish(events=[NewEvent(name="second")])
                    published.append(time.monotonic())

                writer = threading.Thread(target=second)
                writer.start()
                time.sleep(0.5)
                assert published == []  # waits on the log-level lock
                committed = time.monotonic()
            writer.join(timeout=10)
        assert published
        assert published[0] >= committed
        assert [event.name for event in other.log().read()] == ["first", "second"]


def test_bind_on_an_autocommit_connection_commits_each_call(schemas: SchemaFactory) -> None:
    schema = schemas.name()
    with psycopg.connect(schemas.server_url, autocommit=True) as conn:
        store = tidings_postgres.bind(conn, schema=schema)
        store.stream(category="c", stream="s").publish(events=[NewEvent(name="a")])
        with tidings.connect(schemas.url(schema)) as other:
            assert [event.name for event in other.log().read()] == ["a"]
        assert conn.autocommit is True
        store.close()
        assert not conn.closed


def test_async_events_and_rows_commit_or_roll_back_together(schemas: SchemaFactory) -> None:
    orders = _orders_table(schemas)
    schema = schemas.name()

    async def main() -> list[Any]:
        async with await psycopg.AsyncConnection.connect(schemas.server_url) as conn:
            async with conn.transaction():
                await conn.execute(f"INSERT INTO {orders} VALUES ('kept')")
                outbox = tidings_postgres.bind(conn, schema=schema)
                await outbox.stream(category="order", stream="kept").publish(
                    events=[NewEvent(name="placed")]
                )
            with pytest.raises(RuntimeError):
                await dropped(conn, outbox)
            await outbox.aclose()
            assert not conn.closed
            return [event.stream for event in await outbox_reader(schema)]

    async def dropped(conn: psycopg.AsyncConnection[Any], outbox: tidings.AsyncEventStore) -> None:
        async with conn.transaction():
            await conn.execute(f"INSERT INTO {orders} VALUES ('dropped')")
            await outbox.stream(category="order", stream="dropped").publish(
                events=[NewEvent(name="placed")]
            )
            raise RuntimeError("changed its mind")

    async def outbox_reader(name: str) -> list[tidings.StoredEvent]:
        async with await tidings.connect_async(schemas.url(name)) as other:
            return await other.log().read()

    assert asyncio.run(main()) == ["kept"]
    with schemas.connect() as admin:
        assert admin.execute(f"SELECT id FROM {orders}").fetchall() == [("kept",)]


# --- per-stream order in the application's transaction ----------------------------------


def test_a_publish_overtaken_since_the_transactions_first_write_is_refused(
    schemas: SchemaFactory,
) -> None:
    """The outbox's usual shape: the application's row first (its transaction takes an
    id now), then the events. Another writer publishes to the same stream in between,
    with a newer id: publishing after it would put the stream out of order for
    subscribers, so nothing is published and the caller's transaction stays usable."""
    orders = _orders_table(schemas)
    schema = schemas.name()
    with tidings.connect(schemas.url(schema)) as other:
        other.stream(category="order", stream="o-1").publish(events=[NewEvent(name="first")])
        with psycopg.connect(schemas.server_url) as conn, conn.transaction():
            conn.execute(f"INSERT INTO {orders} VALUES ('o-1')")  # the id is drawn here
            other.stream(category="order", stream="o-1").publish(
                events=[NewEvent(name="meanwhile")]
            )
            outbox = tidings_postgres.bind(conn, schema=schema)
            with pytest.raises(tidings.StorageError, match="out of order"):
                outbox.stream(category="order", stream="o-1").publish(
                    events=[NewEvent(name="late")]
                )
            # Nothing of the refused publish is left in the transaction ...
            assert [e.name for e in outbox.log().read()] == ["first", "meanwhile"]
            # ... which still works: a stream nobody overtook takes events.
            outbox.stream(category="order", stream="o-2").publish(events=[NewEvent(name="fine")])
        seen: dict[str, list[str]] = {}
        for event in other.log().subscribe(until_caught_up=True):  # per stream, in order
            seen.setdefault(event.stream, []).append(event.name)
        assert seen == {"o-1": ["first", "meanwhile"], "o-2": ["fine"]}
    with schemas.connect() as admin:
        assert admin.execute(f"SELECT id FROM {orders}").fetchall() == [("o-1",)]


def test_an_async_publish_overtaken_since_the_transactions_first_write_is_refused(
    schemas: SchemaFactory,
) -> None:
    orders = _orders_table(schemas)
    schema = schemas.name()

    async def main() -> list[str]:
        async with await tidings.connect_async(schemas.url(schema)) as other:
            await other.stream(category="order", stream="o-1").publish(
                events=[NewEvent(name="first")]
            )
            async with (
                await psycopg.AsyncConnection.connect(schemas.server_url) as conn,
                conn.transaction(),
            ):
                await conn.execute(f"INSERT INTO {orders} VALUES ('o-1')")
                await other.stream(category="order", stream="o-1").publish(
                    events=[NewEvent(name="meanwhile")]
                )
                outbox = tidings_postgres.bind(conn, schema=schema)
                with pytest.raises(tidings.StorageError, match="out of order"):
                    await outbox.stream(category="order", stream="o-1").publish(
                        events=[NewEvent(name="late")]
                    )
            return [event.name for event in await other.log().read()]

    assert asyncio.run(main()) == ["first", "meanwhile"]


def test_a_transaction_that_wrote_first_publishes_when_no_one_overtook_it(
    schemas: SchemaFactory,
) -> None:
    orders = _orders_table(schemas)
    schema = schemas.name()
    with tidings.connect(schemas.url(schema)) as other:
        other.stream(category="order", stream="o-1").publish(events=[NewEvent(name="first")])
        with psycopg.connect(schemas.server_url) as conn, conn.transaction():
            conn.execute(f"INSERT INTO {orders} VALUES ('o-1')")
            outbox = tidings_postgres.bind(conn, schema=schema)
            stored = outbox.stream(category="order", stream="o-1").publish(
                events=[NewEvent(name="second"), NewEvent(name="third")]
            )
            assert [event.position for event in stored] == [1, 2]
        assert [e.name for e in other.log().read()] == ["first", "second", "third"]
