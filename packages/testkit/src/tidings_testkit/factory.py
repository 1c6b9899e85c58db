"""Fresh stores for tests: a callable that opens stores and closes them all at teardown."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from tidings import EventStore, TidingsError

__all__ = ["StoreFactory"]


class StoreFactory:
    """Opens a fresh, empty store on each call and remembers it, so teardown closes it.

    ``open_store`` is any callable that returns a new, empty :class:`EventStore`.
    ``reopen``, when given, opens the location of a store it made again, as a new store
    object: the ``persistent`` capability test closes a store and reopens it. Suites that
    open their stores with :meth:`AdapterSuite.connect <tidings_testkit.AdapterSuite.connect>`
    need not pass it: the suite remembers each store's URL and options, and reconnects.
    """

    def __init__(
        self,
        open_store: Callable[[], EventStore],
        *,
        reopen: Callable[[EventStore], EventStore] | None = None,
    ) -> None:
        self._open_store = open_store
        self._reopen = reopen
        self._stores: list[EventStore] = []

    def __call__(self) -> EventStore:
        return self.adopt(self._open_store())

    @property
    def can_reopen(self) -> bool:
        """Whether this factory was given a way to reopen its stores."""
        return self._reopen is not None

    def reopen(self, store: EventStore) -> EventStore:
        """The location of ``store`` opened again (``store`` may be closed already)."""
        if self._reopen is None:
            raise TypeError("this StoreFactory was not given reopen=")
        return self.adopt(self._reopen(store))

    def adopt(self, store: EventStore) -> EventStore:
        """Close ``store`` at teardown with the stores this factory opened."""
        self._stores.append(store)
        return store

    def close(self) -> None:
        """Close every store this factory opened or adopted."""
        while self._stores:
            with suppress(TidingsError):
                self._stores.pop().close()
