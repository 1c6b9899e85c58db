"""Config strings: the scheme and its alias, query options, keyword overrides, and the
libpq parameters that pass through."""

from __future__ import annotations

import typing
from urllib.parse import quote

import pytest

import tidings
from postgres_server import SchemaFactory
from tidings import Capability, Ordering, StorageError, UnknownOptionError
from tidings_postgres import PostgresAdapter, PostgresOptions
from tidings_postgres.options import LIBPQ_SETTINGS


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


def _setting(store: tidings.EventStore, name: str) -> str:
    adapter = store.adapter
    assert isinstance(adapter, PostgresAdapter)
    with adapter.pool.connection() as conn:
        row = conn.execute(f"SHOW {name}").fetchone()
    assert row is not None
    return str(row[0])


def test_libpq_parameters_pass_through_the_config_string(schemas: SchemaFactory) -> None:
    options = quote("-c work_mem=7777kB -c TimeZone=Asia/Tokyo", safe="")
    url = f"{schemas.url()}&target_session_attrs=read-write&options={options}&sslmode=prefer"
    with tidings.connect(url) as store:
        assert store.adapter.options.target_session_attrs == "read-write"
        assert _setting(store, "work_mem") == "7777kB"
        # The adapter's own session settings come after the caller's, and win.
        assert _setting(store, "TimeZone") == "UTC"
        assert _setting(store, "default_transaction_isolation") == "read committed"
        stored = store.stream(category="c", stream="s").publish(events=[tidings.NewEvent(name="e")])
        assert store.log().read() == stored


def test_a_libpq_parameter_is_checked_by_libpq_and_named_in_the_error(
    schemas: SchemaFactory,
) -> None:
    with pytest.raises(StorageError, match="target_session_attrs"):
        tidings.connect(schemas.url(), target_session_attrs="nonsense")


def test_a_server_that_is_not_what_target_session_attrs_asks_for_is_refused(
    schemas: SchemaFactory,
) -> None:
    with pytest.raises(StorageError, match="standby"):
        tidings.connect(schemas.url(), target_session_attrs="standby")


@pytest.mark.parametrize(
    "keyword", ["password", "sslpassword", "hostaddr", "service", "client_encoding", "replication"]
)
def test_libpq_parameters_outside_the_allowlist_stay_unknown_options(keyword: str) -> None:
    with pytest.raises(UnknownOptionError, match="target_session_attrs"):
        tidings.connect(f"postgresql://127.0.0.1:1/db?{keyword}=x")


def test_every_pass_through_parameter_is_an_optional_str_option() -> None:
    hints = typing.get_type_hints(PostgresOptions)
    assert {name: hints[name] for name in LIBPQ_SETTINGS} == dict.fromkeys(
        LIBPQ_SETTINGS, str | None
    )
    assert PostgresOptions().libpq_settings() == {}
    assert PostgresOptions(sslrootcert="/ca.pem").libpq_settings() == {"sslrootcert": "/ca.pem"}


def test_the_socket_setting_defaults_detect_a_dead_peer_within_about_30_seconds() -> None:
    options = PostgresOptions()
    assert options.keepalives is True
    probing = options.keepalives_idle + options.keepalives_interval * options.keepalives_count
    assert probing <= 30
    assert options.tcp_user_timeout == 30
    assert options.operation_timeout is None
