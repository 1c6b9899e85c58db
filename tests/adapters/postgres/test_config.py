"""Config strings: the scheme and its alias, query options, keyword overrides."""

from __future__ import annotations

import pytest

import tidings
from postgres_server import SchemaFactory
from tidings import Capability, Ordering
from tidings_postgres import PostgresAdapter, PostgresOptions


def test_postgresql_is_registered_with_postgres_as_an_alias() -> None:
    [info] = [a for a in tidings.list_adapters() if a.scheme == "postgresql"]
    assert info.aliases == ("postgres",)
    assert info.load() is PostgresAdapter
    assert {Capability.PERSISTENT, Capability.MULTI_PROCESS, Capability.ORDERING_LEVELS} <= set(
        PostgresAdapter.capabilities
    )


def test_the_alias_and_query_options_open_the_same_kind_of_store(schemas: SchemaFactory) -> None:
    url = schemas.url().replace("postgresql://", "postgres://", 1)
    with tidings.connect(f"{url}&ordering=stream&page_size=7&lock_timeout=1.5") as store:
        assert isinstance(store.adapter, PostgresAdapter)
        assert store.ordering is Ordering.STREAM
        assert store.adapter.options.page_size == 7
        assert store.adapter.options.lock_timeout == 1.5


def test_keyword_options_override_the_query(schemas: SchemaFactory) -> None:
    with tidings.connect(f"{schemas.url()}&ordering=stream", ordering="category") as store:
        assert store.ordering is Ordering.CATEGORY


def test_the_defaults_serialise_at_log_level_in_the_tidings_schema() -> None:
    options = PostgresOptions()
    assert options.ordering is Ordering.LOG
    assert options.schema == "tidings"


@pytest.mark.parametrize("ordering", ["log", "category", "stream"])
def test_every_ordering_level_publishes_and_reads(schemas: SchemaFactory, ordering: str) -> None:
    with tidings.connect(schemas.url(), ordering=ordering) as store:
        stored = store.category(category="c").publish(
            streams={"b": [tidings.NewEvent(name="e")], "a": [tidings.NewEvent(name="e")]}
        )
        assert store.category(category="c").read() == [*stored["b"], *stored["a"]]
