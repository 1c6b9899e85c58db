"""The in-memory tidings adapter: the reference implementation of the contract."""

from __future__ import annotations

from tidings_memory.adapter import MemoryAdapter, MemoryOptions

__all__ = ["MemoryAdapter", "MemoryOptions"]
