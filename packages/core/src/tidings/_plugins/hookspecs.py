"""The pluggy hooks an adapter plugin implements.

A plugin module is named by an entry point in the ``tidings.adapters`` group (the
entry's name is the canonical scheme) and implements::

    from tidings._plugins.hookspecs import hookimpl

    @hookimpl
    def tidings_register_adapters(register):
        register("mydb", "my_package.adapter:MyAdapter", install_hint="pip install my-package")

The factory is a dotted string, so the driver is imported only when the scheme is used.
"""

from __future__ import annotations

from typing import Protocol

import pluggy

__all__ = ["PROJECT_NAME", "AdapterRegistrar", "hookimpl", "hookspec", "tidings_register_adapters"]

PROJECT_NAME = "tidings"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class AdapterRegistrar(Protocol):
    """The ``register`` callable passed to :func:`tidings_register_adapters`."""

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
