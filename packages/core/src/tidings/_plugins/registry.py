"""Adapter discovery: a :class:`Registry` owns the pluggy plugin manager.

Entry points are loaded lazily, on the first lookup, so ``import tidings`` stays cheap
and imports no driver; even :mod:`importlib.metadata` (tens of milliseconds) waits for
that first lookup. ``TIDINGS_LOAD_PLUGINS`` (comma-separated entry point names) is an
allowlist; ``TIDINGS_DISABLE_PLUGINS`` a blocklist. A name in either that no installed
plugin has is reported with a :class:`PluginNameWarning`, not an error: one deployment's
environment may name a plugin that another machine does not install.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tidings._logging import get_logger
from tidings._plugins.url import URL, make_url
from tidings._protocol.options import build_options
from tidings.errors import AdapterImportError, ConfigurationError, UnknownAdapterError

if TYPE_CHECKING:
    import pluggy

    from tidings._protocol.adapter import StorageAdapter
    from tidings._protocol.async_adapter import AsyncStorageAdapter

__all__ = [
    "ENTRY_POINT_GROUP",
    "KNOWN_ADAPTERS",
    "AdapterInfo",
    "PluginNameWarning",
    "Registry",
    "default_registry",
]

ENTRY_POINT_GROUP = "tidings.adapters"
LOAD_ENV = "TIDINGS_LOAD_PLUGINS"
DISABLE_ENV = "TIDINGS_DISABLE_PLUGINS"

_log = get_logger("plugins")

KNOWN_ADAPTERS: Mapping[str, str] = {
    "memory": 'pip install tidings-memory (or pip install "tidings")',
    "sqlite": 'pip install tidings-sqlite (or pip install "tidings")',
    "postgresql": 'pip install tidings-postgres (or pip install "tidings[postgres]")',
    "postgres": 'pip install tidings-postgres (or pip install "tidings[postgres]")',
}
"""First-party schemes and how to install them, for helpful errors."""

KNOWN_ALIASES: Mapping[str, str] = {"postgres": "postgresql"}
"""First-party aliases and the entry point that registers them: a plugin that was not
loaded cannot tell which aliases it would have registered."""


class PluginNameWarning(UserWarning):
    """``TIDINGS_LOAD_PLUGINS`` or ``TIDINGS_DISABLE_PLUGINS`` names no installed plugin."""


@dataclass(frozen=True, slots=True)
class _Filtered:
    """An installed entry point that the environment kept from loading, and why."""

    distribution: str | None
    reason: str


_SCHEME_NAME = re.compile(r"^[a-z][a-z0-9.\-]*$")


@dataclass(slots=True)
class AdapterInfo:
    """One registered scheme: where it comes from and, once loaded, what it can do."""

    scheme: str
    factory: str | type[StorageAdapter]
    aliases: tuple[str, ...] = ()
    install_hint: str | None = None
    distribution: str | None = None
    version: str | None = None
    _loaded: type[StorageAdapter] | None = field(default=None, repr=False)

    def load(self) -> type[StorageAdapter]:
        """Import the factory, or raise :class:`AdapterImportError` chaining the cause."""
        if self._loaded is None:
            if isinstance(self.factory, str):
                self._loaded = _import_factory(
                    self.scheme, self.factory, self.distribution, self.install_hint
                )
            else:
                self._loaded = self.factory
            _log.debug(
                "loaded adapter %s:// (%s) from %s",
                self.scheme,
                self._loaded.__qualname__,
                " ".join(filter(None, (self.distribution, self.version))) or "this process",
            )
        return self._loaded

    @property
    def capabilities(self) -> list[str]:
        """The capability names of the adapter (imports it)."""
        return sorted(c.value for c in self.load().capabilities)


class Registry:
    """Finds adapters by scheme, from entry points and from in-process registrations."""

    def __init__(
        self, *, load_entry_points: bool = True, environ: Mapping[str, str] | None = None
    ) -> None:
        self._load_entry_points = load_entry_points
        self._environ = os.environ if environ is None else environ
        self._lock = threading.RLock()
        self._adapters: dict[str, AdapterInfo] = {}
        self._aliases: dict[str, str] = {}
        self._broken: dict[str, BaseException] = {}
        self._filtered: dict[str, _Filtered] = {}
        self._misspelt: list[str] = []
        self._manager: pluggy.PluginManager | None = None

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The pluggy manager, with entry point plugins loaded on first use."""
        with self._lock:
            if self._manager is None:
                self._manager = self._load_plugins()
            return self._manager

    def _ensure_loaded(self) -> None:
        _ = self.plugin_manager

    def register(
        self,
        scheme: str,
        factory: str | type[StorageAdapter],
        *,
        aliases: tuple[str, ...] = (),
        install_hint: str | None = None,
        distribution: str | None = None,
        version: str | None = None,
        replace: bool = False,
    ) -> None:
        """Register an adapter in this process (tests, frozen apps, private adapters)."""
        with self._lock:
            for name in (scheme, *aliases):
                if not isinstance(name, str) or not _SCHEME_NAME.match(name):
                    raise ConfigurationError(
                        f"scheme {name!r} must be lower-case letters, digits, '.' or '-'"
                    )
                taken = self._aliases.get(name)
                if taken is not None and not replace and taken != scheme:
                    raise ConfigurationError(
                        f"scheme {name!r} is already registered by {taken!r}; "
                        "pass replace=True to override it"
                    )
            info = AdapterInfo(scheme, factory, tuple(aliases), install_hint, distribution, version)
            self._adapters[scheme] = info
            for name in (scheme, *aliases):
                self._aliases[name] = scheme
                self._broken.pop(name, None)

    def schemes(self) -> list[str]:
        """Every scheme and alias that can be opened."""
        self._ensure_loaded()
        return sorted(self._aliases)

    def adapters(self) -> list[AdapterInfo]:
        """The registered adapters, one entry per canonical scheme."""
        self._ensure_loaded()
        return [self._adapters[name] for name in sorted(self._adapters)]

    def resolve(self, scheme: str) -> type[StorageAdapter]:
        """The adapter class for ``scheme``, or an actionable error."""
        self._ensure_loaded()
        scheme = scheme.lower()
        if scheme in self._broken:
            error = self._broken[scheme]
            raise AdapterImportError(
                f"the adapter plugin for {scheme}:// is installed but failed to import: "
                f"{type(error).__name__}: {error}"
            ) from error
        canonical = self._aliases.get(scheme)
        if canonical is None:
            raise UnknownAdapterError(self._unknown_message(scheme))
        return self._adapters[canonical].load()

    def open(self, url: str | URL, **options: object) -> StorageAdapter:
        """Open an adapter for a config string; keyword options override query values."""
        adapter_type, parsed, typed = self._prepare(url, options)
        return adapter_type.from_url(parsed, typed)

    def open_async(self, url: str | URL, **options: object) -> AsyncStorageAdapter:
        """Open the async face of an adapter for a config string."""
        adapter_type, parsed, typed = self._prepare(url, options)
        return adapter_type.open_async(parsed, typed)

    def _prepare(
        self, url: str | URL, options: Mapping[str, object]
    ) -> tuple[type[StorageAdapter], URL, Any]:
        """The adapter class, the parsed URL and the typed options for a config string."""
        parsed = make_url(url)
        adapter_type = self.resolve(parsed.scheme)
        _check_driver(parsed, getattr(adapter_type, "drivers", frozenset()))
        typed = build_options(adapter_type.options_type, parsed.scheme, parsed.query, options)
        return adapter_type, parsed, typed

    def _unknown_message(self, scheme: str) -> str:
        import difflib  # here: only an error pays for it

        filtered = self._filtered.get(KNOWN_ALIASES.get(scheme, scheme))
        if filtered is not None:
            origin = f" (from {filtered.distribution})" if filtered.distribution else ""
            lines = [
                f"the adapter for {scheme}://{origin} is installed but was not loaded: "
                f"{filtered.reason}."
            ]
            lines.extend(self._misspelt)
            return " ".join(lines)
        installed = sorted(self._aliases)
        lines = [f"no adapter is installed for {scheme}://."]
        lines.append(
            f"Installed schemes: {', '.join(f'{s}://' for s in installed)}."
            if installed
            else "No adapters are installed."
        )
        # Never suggest the scheme itself: a known scheme that is missing gets its hint.
        candidates = sorted({*installed, *KNOWN_ADAPTERS} - {scheme})
        close = difflib.get_close_matches(scheme, candidates, n=1)
        if close:
            suggestion = close[0]
            missing = suggestion not in self._aliases and suggestion in KNOWN_ADAPTERS
            lines.append(
                f"Did you mean {suggestion}://? (not installed: {KNOWN_ADAPTERS[suggestion]})"
                if missing
                else f"Did you mean {suggestion}://?"
            )
        hint = KNOWN_ADAPTERS.get(scheme)
        if hint:
            lines.append(f"To install it: {hint}.")
        elif not close:
            lines.append(
                "To add a backend, install its adapter distribution (for example "
                "pip install tidings-postgres); adapters register through the "
                f"{ENTRY_POINT_GROUP!r} entry point group."
            )
        lines.extend(self._misspelt)
        return " ".join(lines)

    def _load_plugins(self) -> pluggy.PluginManager:
        import pluggy

        from tidings._plugins import hookspecs

        manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        manager.add_hookspecs(hookspecs)
        if self._load_entry_points:
            self._register_entry_points(manager)
        manager.check_pending()
        return manager

    def _register_entry_points(self, manager: pluggy.PluginManager) -> None:
        from importlib import metadata  # here: it costs more than the rest of tidings

        allow = _names(self._environ.get(LOAD_ENV))
        deny = _names(self._environ.get(DISABLE_ENV))
        entries = list(metadata.entry_points(group=ENTRY_POINT_GROUP))
        self._check_names(allow, deny, sorted({entry.name for entry in entries}))
        for entry in entries:
            distribution = entry.dist.name if entry.dist else None
            version = entry.dist.version if entry.dist else None
            if allow is not None and entry.name not in allow:
                listed = self._environ.get(LOAD_ENV, "")
                reason = f"it is not in {LOAD_ENV}={listed!r}"
                self._filtered[entry.name] = _Filtered(distribution, reason)
                continue
            if deny and entry.name in deny:
                listed = self._environ.get(DISABLE_ENV, "")
                reason = f"{DISABLE_ENV}={listed!r} disables it"
                self._filtered[entry.name] = _Filtered(distribution, reason)
                continue
            try:
                plugin = entry.load()
                manager.register(plugin, name=entry.name)
            except Exception as error:  # noqa: BLE001 - reported when the scheme is used
                self._broken[entry.name] = error
                continue

            def register(
                scheme: str,
                factory: str,
                *,
                aliases: tuple[str, ...] = (),
                install_hint: str | None = None,
                _dist: str | None = distribution,
                _version: str | None = version,
            ) -> None:
                self.register(
                    scheme,
                    factory,
                    aliases=aliases,
                    install_hint=install_hint,
                    distribution=_dist,
                    version=_version,
                    replace=True,
                )

            manager.subset_hook_caller(
                "tidings_register_adapters",
                remove_plugins=[p for p in manager.get_plugins() if p is not plugin],
            )(register=register)

    def _check_names(
        self, allow: set[str] | None, deny: set[str] | None, installed: list[str]
    ) -> None:
        """Warn about names in the plugin variables that no installed plugin has."""
        import difflib

        for variable, names in ((LOAD_ENV, allow), (DISABLE_ENV, deny)):
            for name in sorted((names or set()) - set(installed)):
                close = difflib.get_close_matches(name, installed, n=1)
                note = (
                    f"{variable} names {name!r}, but no installed plugin has that name"
                    + (f"; did you mean {close[0]!r}?" if close else ".")
                    + f" Installed plugins: {', '.join(installed) or 'none'}."
                )
                self._misspelt.append(note)
                warnings.warn(note, PluginNameWarning, stacklevel=2)


def _check_driver(url: URL, accepted: frozenset[str]) -> None:
    """One rule for ``scheme+driver://`` on every adapter: the adapter names the drivers
    it accepts, and anything else is a clear error."""
    if url.driver is None or url.driver in accepted:
        return
    where = f"{url.scheme}+{url.driver}://"
    if not accepted:
        raise ConfigurationError(
            f"{where}: {url.scheme}:// has no drivers to choose from; remove '+{url.driver}'"
        )
    choices = ", ".join(f"{url.scheme}+{driver}://" for driver in sorted(accepted))
    raise ConfigurationError(
        f"{where}: unknown driver {url.driver!r} for {url.scheme}://; use {choices} "
        f"or plain {url.scheme}://"
    )


def _names(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _import_factory(
    scheme: str, dotted: str, distribution: str | None, install_hint: str | None = None
) -> type[StorageAdapter]:
    module_name, _, attribute = dotted.partition(":")
    try:
        module = importlib.import_module(module_name)
        factory: Any = module
        for part in attribute.split(".") if attribute else ():
            factory = getattr(factory, part)
    except Exception as error:
        origin = f" (from {distribution})" if distribution else ""
        raise AdapterImportError(
            f"the adapter for {scheme}://{origin} is installed but failed to import "
            f"{dotted!r}: {type(error).__name__}: {error}"
            + (f". To reinstall it: {install_hint}." if install_hint else "")
        ) from error
    return factory  # type: ignore[no-any-return]


_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry used by :func:`tidings.connect`."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Registry()
        return _default
