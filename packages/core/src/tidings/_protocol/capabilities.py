"""What an adapter can do beyond the core contract, and the ordering levels it offers."""

from __future__ import annotations

import enum

__all__ = ["Capability", "Ordering"]


class Capability(enum.Enum):
    """What a store can do beyond the core contract. Each one gates the testkit tests
    that need it and has tests of its own, so a declared capability is a proven one."""

    PERSISTENT = "persistent"
    """Events survive closing the store and opening it again."""
    MULTI_PROCESS = "multi-process"
    """Several processes may write to the same store at once."""
    ORDERING_LEVELS = "ordering-levels"
    """The ordering guarantee can be chosen per store (log, category or stream)."""
    NATIVE_ASYNC = "native-async"
    """The async face runs on the event loop itself, not in a thread pool."""
    PROJECTION_STORAGE = "projection-storage"
    """The adapter stores and searches projections."""
    COMPARE_AND_SET = "compare-and-set"
    """The projection storage implements ``save_all_if``: it checks the expected rows and
    saves, in one atomic step. Consumer groups keep their leases and fence their saves
    with it."""
    BULK_LOAD = "bulk-load"
    """The adapter implements ``bulk_load``: events copied from another store, appended
    with their ids, positions and times by the backend's fastest path."""
    READ_ONLY = "read-only"
    """The adapter accepts the option ``mode="ro"``: it opens an existing store without
    creating, upgrading or writing anything, and raises
    :class:`~tidings.ConfigurationError` when the store or its current schema is missing."""


class Ordering(enum.Enum):
    """The scope at which writes are serialised (contract rule 12).

    A reader polling "after sequence number N" never misses an event within a scope at
    or below this level: with ``LOG`` that holds for every scan.
    """

    LOG = "log"
    CATEGORY = "category"
    STREAM = "stream"
