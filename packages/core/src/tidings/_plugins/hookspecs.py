"""The pluggy hooks an adapter plugin implements.

A plugin module is named by an entry point in the ``tidings.adapters`` group (the
entry's name is the canonical scheme, and the name ``TIDINGS_LOAD_PLUGINS`` and
``TIDINGS_DISABLE_PLUGINS`` use) and implements::

    from tidings.adapters import AdapterRegistrar, hookimpl

    @hookimpl
    def tidings_register_adapters(register: AdapterRegistrar) -> None:
        register("mydb", "my_package.adapter:MyAdapter", install_hint="pip install my-package")

The factory is a dotted string, so the driver is imported only when the scheme is used:
the plugin module itself must import nothing heavy (see docs/adapters.md).
"""

from __future__ import annotations

from typing import Protocol

import pluggy

__all__ = ["PROJECT_NAME", "AdapterRegistrar", "hookimpl", "hookspec", "tidings_register_adapters"]

PROJECT_NAME = "tidings"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks an adapter plugin's ``tidings_register_adapters`` function as a pluggy hook
implementation, so the registry finds it through the ``tidings.adapters`` entry point."""


class AdapterRegistrar(Protocol):
    """The ``register`` callable passed to :func:`tidings_register_adapters`.

    ``scheme`` is the canonical URL scheme (lower-case letters, digits, ``.`` and ``-``);
    ``factory`` is ``"package.module:ClassName"``, imported on the first
    ``connect`` with that scheme; ``aliases`` are further schemes that open the same
    adapter; ``install_hint`` (how to install the distribution) is shown when the adapter
    fails to import.
    """

    def __call__(
        self,
        scheme: str,
        factory: str,
        *,
        aliases: tuple[str, ...] = (),
        install_hint: str | None = None,
    ) -> None: ...


@hookspec
def tidings_register_adapters(register: AdapterRegistrar) -> None:
    """Register the adapters this plugin provides, by calling ``register`` once each."""
