"""Fresh stores for tests: a callable that opens stores and closes them all at teardown."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from tidings import EventStore, TidingsError

__all__ = ["StoreFactory"]


class StoreFactory:
    """Opens a fresh, empty store on each call and remembers it, so teardown closes it.

    ``open_store`` is any callable that returns a new, empty :class:`EventStore`.
    """

    def __init__(self, open_store: Callable[[], EventStore]) -> None:
        self._open_store = open_store
        self._stores: list[EventStore] = []

    def __call__(self) -> EventStore:
        store = self._open_store()
        self._stores.append(store)
        return store

    def close(self) -> None:
        """Close every store this factory opened."""
        while self._stores:
            with suppress(TidingsError):
                self._stores.pop().close()
