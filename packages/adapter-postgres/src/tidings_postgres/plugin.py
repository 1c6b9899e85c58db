"""Entry point module: registers ``postgresql://`` (alias ``postgres://``) like any plugin.

It imports nothing heavy: psycopg is imported only when the scheme is first opened.
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
        "postgresql",
        "tidings_postgres.adapter:PostgresAdapter",
        aliases=("postgres",),
        install_hint='pip install tidings-postgres (or pip install "tidings[postgres]")',
    )
