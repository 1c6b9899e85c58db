"""What every contender offers the scenarios: prepared writes, reads and racing appends."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import partial
from typing import ClassVar, Generic, TypeVar

from ..racing import race_threads
from ..workload import Write

__all__ = ["Contender", "Prepared"]

Prepared = TypeVar("Prepared")


class Contender(ABC, Generic[Prepared]):
    """One system under test, opened on one fresh location.

    :meth:`prepare` runs before the timer (events are built then); everything else is
    what the scenarios time. Implementations must be safe to share between threads.
    """

    label: ClassVar[str]
    asynchronous: ClassVar[bool] = False
    """Whether :meth:`append_concurrently` runs asyncio tasks rather than threads."""

    @abstractmethod
    def prepare(self, writes: Sequence[Write]) -> list[Prepared]:
        """Build the events of each write, outside the timed section."""

    @abstractmethod
    def append(self, prepared: Prepared) -> None:
        """Publish one prepared write (no condition beyond the system's own checks)."""

    def append_concurrently(self, plans: Sequence[Sequence[Prepared]]) -> float:
        """Append each plan's writes in order, all plans at once (a thread each); the
        seconds until the last one is done."""
        return race_threads([partial(self._append_all, plan) for plan in plans])

    def _append_all(self, plan: Sequence[Prepared]) -> None:
        for prepared in plan:
            self.append(prepared)

    def bulk_load(self, first_stream: int, streams: int, per_stream: int) -> None:
        """Store ``streams`` x ``per_stream`` events, one call per stream (setup only)."""
        for stream in range(first_stream, first_stream + streams):
            for prepared in self.prepare([Write(stream, 0, per_stream)]):
                self.append(prepared)

    def read_stream(self, stream: int) -> int:
        """Read one whole stream into memory; return how many events it held."""
        raise NotImplementedError

    def read_log(self, page: int) -> int:
        """Read the whole log, ``page`` events per query; return how many were read."""
        raise NotImplementedError

    def first_page(self, page: int) -> int:
        """Read the log's first ``page`` events; return how many were read."""
        raise NotImplementedError

    def scan_log(self) -> int:
        """Iterate the whole log lazily, keeping nothing; return how many were seen."""
        raise NotImplementedError

    def append_next(self, prepared: Prepared) -> bool:
        """Read the stream's last position, then append one event expecting it still to
        be last. False on a conflict (another writer got there first)."""
        raise NotImplementedError

    def positions(self, stream: int) -> list[int]:
        """The positions stored in ``stream``, in order (for the integrity check)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections and files."""
