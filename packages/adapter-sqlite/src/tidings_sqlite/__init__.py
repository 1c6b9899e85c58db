"""The SQLite adapter for tidings: ``sqlite:///path.db``, the embedded default.

The package imports nothing heavy: the adapter, and its driver, load when first used, so
that installing this adapter costs nothing to a store that opens another scheme.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tidings_sqlite.adapter import SQLiteAdapter
    from tidings_sqlite.options import Mode, SQLiteOptions, Synchronous
    from tidings_sqlite.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Mode", "SQLiteAdapter", "SQLiteOptions", "Synchronous"]

_HOMES = {
    "SCHEMA_VERSION": "tidings_sqlite.schema",
    "Mode": "tidings_sqlite.options",
    "SQLiteAdapter": "tidings_sqlite.adapter",
    "SQLiteOptions": "tidings_sqlite.options",
    "Synchronous": "tidings_sqlite.options",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
