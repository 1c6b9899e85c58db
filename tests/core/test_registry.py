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
from tidings._plugins.registry import PluginNameWarning
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
    assert memory.capabilities == ["compare-and-set", "native-async", "projection-storage"]


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


def test_a_known_scheme_that_is_missing_never_suggests_itself() -> None:
    registry = Registry(load_entry_points=False)
    registry.register("sqlite", MemoryAdapter)
    with pytest.raises(UnknownAdapterError) as raised:
        registry.open("memory://")
    message = str(raised.value)
    assert "Did you mean memory://" not in message
    assert "To install it: pip install tidings-memory" in message
    assert "Installed schemes: sqlite://." in message


def test_a_close_match_that_is_not_installed_comes_with_its_hint() -> None:
    registry = Registry(load_entry_points=False)
    with pytest.raises(UnknownAdapterError) as raised:
        registry.open("postgress://localhost/db")
    message = str(raised.value)
    assert "Did you mean postgres://? (not installed: pip install tidings-postgres" in message
    assert "Did you mean postgress://" not in message


def test_a_disabled_scheme_says_it_is_installed_but_disabled() -> None:
    registry = Registry(environ={"TIDINGS_DISABLE_PLUGINS": "memory"})
    with pytest.raises(UnknownAdapterError) as raised:
        registry.open("memory://")
    message = str(raised.value)
    assert "memory:// (from tidings-memory) is installed but was not loaded" in message
    assert "TIDINGS_DISABLE_PLUGINS='memory' disables it" in message
    assert "Did you mean" not in message


def test_a_scheme_left_out_of_the_allowlist_says_so_even_by_its_alias() -> None:
    registry = Registry(environ={"TIDINGS_LOAD_PLUGINS": "memory"})
    for url in ("sqlite:///x.db", "postgres://localhost/db"):
        with pytest.raises(UnknownAdapterError, match="installed but was not loaded") as raised:
            registry.open(url)
        assert "it is not in TIDINGS_LOAD_PLUGINS='memory'" in str(raised.value)


@pytest.mark.parametrize("variable", ["TIDINGS_LOAD_PLUGINS", "TIDINGS_DISABLE_PLUGINS"])
def test_a_misspelt_plugin_name_is_reported(variable: str) -> None:
    registry = Registry(environ={variable: "memroy"})
    with pytest.warns(PluginNameWarning, match=rf"{variable} names 'memroy'.*'memory'\?"):
        registry.schemes()
    if variable == "TIDINGS_LOAD_PLUGINS":  # nothing loaded: the error repeats the cause
        with pytest.raises(UnknownAdapterError, match="did you mean 'memory'"):
            registry.open("memory://")


def test_importing_tidings_imports_neither_asyncio_nor_metadata_nor_drivers() -> None:
    code = (
        "import tidings, sys; print(sorted(m for m in sys.modules if m in "
        "{'asyncio','importlib.metadata','psycopg','sqlite_utils','sqlite3'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_factory_that_fails_to_import_shows_its_install_hint() -> None:
    registry = Registry(load_entry_points=False)
    registry.register("broken", "no_such_module_anywhere:Adapter", install_hint="pip install x")
    with pytest.raises(AdapterImportError, match=r"To reinstall it: pip install x\.$"):
        registry.open("broken://")


class _DriverAdapter(MemoryAdapter):
    """A memory store that accepts one driver suffix, to check the rule for all."""

    scheme = "drivers-test"
    drivers = frozenset({"fast"})


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("memory+x://", "has no drivers to choose from; remove '\\+x'"),
        ("postgresql+nonsense://u@h/db", "unknown driver 'nonsense' for postgresql://"),
        ("drivers-test+slow://", "use drivers-test\\+fast:// or plain drivers-test://"),
    ],
)
def test_an_unknown_driver_suffix_is_refused_before_the_adapter_opens(
    url: str, message: str
) -> None:
    registry = Registry()
    registry.register("drivers-test", _DriverAdapter)
    with pytest.raises(ConfigurationError, match=message):
        registry.open(url)


def test_a_driver_the_adapter_names_is_accepted() -> None:
    registry = Registry()
    registry.register("drivers-test", _DriverAdapter)
    adapter = registry.open("drivers-test+fast://")
    assert isinstance(adapter, _DriverAdapter)
    adapter.close()
