"""Entry point module: registers ``sqlite://`` exactly as a third-party plugin would.

It imports nothing heavy: the adapter (and sqlite-utils) load when the scheme is used.
"""

from __future__ import annotations

from tidings.adapters import (
    AdapterRegistrar,
    hookimpl,
)

__all__ = ["tidings_register_adapters"]


@hookimpl
def tidings_register_adapters(register: AdapterRegistrar) -> None:
    register(
        "sqlite",
        "tidings_sqlite.adapter:SQLiteAdapter",
        install_hint='pip install tidings-sqlite (or pip install "tidings")',
    )
