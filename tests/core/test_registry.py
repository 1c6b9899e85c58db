from __future__ import annotations

import subprocess
import sys

import pytest

import tidings
from tidings import (
    AdapterImportError,
    ConfigurationError,
    EventStore,
    UnknownAdapterError,
    UnknownOptionError,
)
from tidings.adapters import Registry
from tidings_memory import MemoryAdapter


def test_connect_opens_a_store_from_a_config_string() -> None:
    with tidings.connect("memory://") as store:
        assert isinstance(store, EventStore)
        assert isinstance(store.adapter, MemoryAdapter)


def test_connect_without_a_url_reads_tidings_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDINGS_URL", "memory://from-env")
    with tidings.connect() as store:
        assert isinstance(store.adapter, MemoryAdapter)
        assert store.adapter.name == "from-env"


def test_an_unknown_scheme_names_installed_schemes_and_how_to_install() -> None:
    with pytest.raises(UnknownAdapterError) as raised:
        tidings.connect("nosuch://")
    message = str(raised.value)
    assert "nosuch://" in message
    assert "memory://" in message
    assert "pip install" in message


def test_a_misspelt_scheme_suggests_a_close_match() -> None:
    with pytest.raises(UnknownAdapterError, match=r"Did you mean memory://\?"):
        tidings.connect("memroy://")


def test_a_known_but_missing_scheme_gives_its_install_hint() -> None:
    registry = Registry(load_entry_points=False)
    with pytest.raises(UnknownAdapterError, match=r"tidings\[postgres\]"):
        registry.open("postgresql://localhost/db")


def test_an_unknown_option_names_the_accepted_ones() -> None:
    with pytest.raises(UnknownOptionError, match="accepted options: page_size"):
        tidings.connect("memory://?bogus=1")


def test_keyword_options_override_query_options() -> None:
    with tidings.connect("memory://?page_size=5", page_size=7) as store:
        assert isinstance(store.adapter, MemoryAdapter)
        assert store.adapter.options.page_size == 7


def test_an_in_process_registration_is_found() -> None:
    registry = Registry(load_entry_points=False)
    registry.register("mine", MemoryAdapter, aliases=("mine2",))
    assert registry.schemes() == ["mine", "mine2"]
    with EventStore(registry.open("mine2://")) as store:
        assert store.log().read() == []


def test_a_registration_cannot_silently_take_another_scheme() -> None:
    registry = Registry(load_entry_points=False)
    registry.register("mine", MemoryAdapter)
    with pytest.raises(ConfigurationError, match="already registered"):
        registry.register("other", MemoryAdapter, aliases=("mine",))


@pytest.mark.parametrize("scheme", ["", "Upper", "has space", "1starts-with-digit"])
def test_a_scheme_must_be_a_valid_name(scheme: str) -> None:
    with pytest.raises(ConfigurationError, match="scheme"):
        Registry(load_entry_points=False).register(scheme, MemoryAdapter)


def test_a_factory_that_fails_to_import_chains_its_cause() -> None:
    registry = Registry(load_entry_points=False)
    registry.register("broken", "no_such_module_anywhere:Adapter")
    with pytest.raises(AdapterImportError, match="installed but failed to import") as raised:
        registry.open("broken://")
    assert isinstance(raised.value.__cause__, ModuleNotFoundError)


def test_the_blocklist_disables_an_entry_point() -> None:
    registry = Registry(environ={"TIDINGS_DISABLE_PLUGINS": "memory"})
    assert "memory" not in registry.schemes()


def test_the_allowlist_loads_only_the_named_entry_points() -> None:
    assert Registry(environ={"TIDINGS_LOAD_PLUGINS": "memory"}).schemes() == ["memory"]
    assert Registry(environ={"TIDINGS_LOAD_PLUGINS": ""}).schemes() == []


def test_list_adapters_reports_distribution_and_version() -> None:
    memory = next(info for info in tidings.list_adapters() if info.scheme == "memory")
    assert memory.distribution == "tidings-memory"
    assert memory.version
    assert memory.capabilities == ["native-async", "projection-storage"]


def test_importing_tidings_loads_no_entry_points_and_no_driver() -> None:
    code = (
        "import sys, tidings\n"
        "loaded = [m for m in ('pluggy', 'sqlite3', 'sqlite_utils', 'psycopg', "
        "'tidings_memory', 'tidings_sqlite', 'tidings_postgres') if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
