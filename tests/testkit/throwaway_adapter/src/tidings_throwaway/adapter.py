"""Delegates to the reference adapter: enough to prove discovery and the suite."""

from tidings_memory import MemoryAdapter


class ThrowawayAdapter(MemoryAdapter):
    scheme = "throwaway"
