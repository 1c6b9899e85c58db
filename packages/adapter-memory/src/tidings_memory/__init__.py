"""The in-memory tidings adapter: the reference implementation of the contract.

The package imports nothing heavy: the adapter, and its driver, load when first used, so
that installing this adapter costs nothing to a store that opens another scheme.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tidings_memory.adapter import MemoryAdapter, MemoryOptions

__all__ = ["MemoryAdapter", "MemoryOptions"]

_HOMES = {"MemoryAdapter": "tidings_memory.adapter", "MemoryOptions": "tidings_memory.adapter"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
