"""What the sync and async stores share: the adapter, its capabilities, closing."""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

from tidings._protocol.capabilities import Capability, Ordering
from tidings.errors import StoreClosedError

__all__ = ["StoreBase"]


class _Adapter(Protocol):
    @property
    def capabilities(self) -> frozenset[Capability]: ...
    @property
    def ordering(self) -> Ordering: ...


A = TypeVar("A", bound=_Adapter)


class StoreBase(Generic[A]):
    """Holds the adapter and refuses use after close."""

    adapter_type: type[Any]

    def __init__(self, adapter: A) -> None:
        if not isinstance(adapter, self.adapter_type):
            raise TypeError(
                f"{type(self).__name__} needs a {self.adapter_type.__name__}, "
                f"got {type(adapter).__name__}"
            )
        self._adapter = adapter
        self._closed = False

    @property
    def adapter(self) -> A:
        """The storage adapter behind this store."""
        if self._closed:
            raise StoreClosedError("the store is closed")
        return self._adapter

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What the adapter can do beyond the core contract."""
        return self._adapter.capabilities

    @property
    def ordering(self) -> Ordering:
        """The level at which writes are serialised."""
        return self._adapter.ordering

    def _begin_close(self) -> bool:
        """Mark the store closed; True the first time, so closing stays idempotent."""
        first, self._closed = not self._closed, True
        return first

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._adapter!r})"
