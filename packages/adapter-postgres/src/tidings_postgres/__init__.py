"""The PostgreSQL adapter for tidings: ``postgresql://user@host:5432/db?schema=events``.

The package imports nothing heavy: the adapter, and its driver, load when first used, so
that installing this adapter costs nothing to a store that opens another scheme.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tidings_postgres.adapter import PostgresAdapter
    from tidings_postgres.external import bind, from_pool, wait_for_replica
    from tidings_postgres.options import PostgresOptions

__all__ = ["PostgresAdapter", "PostgresOptions", "bind", "from_pool", "wait_for_replica"]

_HOMES = {
    "PostgresAdapter": "tidings_postgres.adapter",
    "PostgresOptions": "tidings_postgres.options",
    "bind": "tidings_postgres.external",
    "from_pool": "tidings_postgres.external",
    "wait_for_replica": "tidings_postgres.external",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
