"""How ``tidings copy`` moves events: by the destination's bulk load when it has one,
else by publishing through :class:`~tidings_cli.loading.Loader`.

A destination with :attr:`~tidings.adapters.Capability.BULK_LOAD` (PostgreSQL's
``COPY``) takes the source's log in chunks, each one atomic, with every event's id,
position and times, ``recorded_at`` included, and in log order. So an interrupted bulk
copy leaves a prefix of the source's log, and the next run resumes after it: it checks
that the destination's last event is the source's event at the same place in the log,
and loads the rest. A destination that holds anything else (other streams, or a copy
made by publishing) is copied into by publishing, which checks stream by stream.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tidings import EventStore, StoredEvent
from tidings.adapters import Capability
from tidings_cli.common import ProgressBar
from tidings_cli.loading import Digests, Loader, new_event

__all__ = ["BULK_CHUNK", "CopyResult", "copy_events"]

BULK_CHUNK = 10_000
"""Events per bulk load by default: one transaction each, so an interruption loses at
most this many, and large enough that ``COPY`` runs at full speed."""


@dataclass(slots=True)
class CopyResult:
    """What a copy did: events written, events found already there, and whether it went
    by bulk load (which keeps the log order and ``recorded_at`` exactly)."""

    copied: int = 0
    skipped: int = 0
    bulk: bool = False


class _NotAPrefix(Exception):
    """The destination's log is not a prefix of the source's: copy by publishing."""


def copy_events(
    src: EventStore,
    dst: EventStore,
    batch_size: int | None,
    expected: Digests,
    bar: ProgressBar,
) -> CopyResult:
    """Copy every event of ``src`` into ``dst``, filling ``expected`` with the source's
    digests on the way."""
    if Capability.BULK_LOAD in dst.adapter.capabilities:
        try:
            return _bulk(src, dst, batch_size or BULK_CHUNK, expected, bar)
        except _NotAPrefix:
            expected.streams.clear()
            expected.log = Digests().log
    loader = Loader(dst, batch_size or 1000, exact=True)
    for event in src.log().iterate():
        expected.add(event)
        loader.add((event.category, event.stream), new_event(event), event.position)
        bar.advance_to(event.sequence_number)
    loader.flush()
    return CopyResult(loader.published, loader.skipped)


def _held(dst: EventStore) -> tuple[int, StoredEvent | None]:
    """How many events the destination holds, and its last one."""
    last = dst.log().latest()
    if last is None:
        return 0, None
    count = dst.adapter.statistics().events
    if count is None:
        count = sum(1 for _ in dst.log().iterate())
    return count, last


def _bulk(
    src: EventStore, dst: EventStore, chunk: int, expected: Digests, bar: ProgressBar
) -> CopyResult:
    held, last = _held(dst)
    result = CopyResult(bulk=True)
    index = 0
    for events in read_ahead(src.log().iterate(), chunk, expected.add):
        if index + len(events) <= held:  # already there: check the last one only
            index += len(events)
            if index == held and last is not None and events[-1].id != last.id:
                raise _NotAPrefix
            result.skipped += len(events)
            bar.advance_to(events[-1].sequence_number, len(events))
            continue
        start = max(0, held - index)
        if start and last is not None and events[start - 1].id != last.id:
            raise _NotAPrefix
        index += len(events)
        result.skipped += start
        pending = events[start:]
        dst.adapter.bulk_load(pending)
        result.copied += len(pending)
        bar.advance_to(events[-1].sequence_number, len(events))
    if index < held:
        raise _NotAPrefix
    return result


_END = object()


def read_ahead(
    events: Iterator[StoredEvent], size: int, each: Callable[[StoredEvent], None]
) -> Iterator[list[StoredEvent]]:
    """``events`` in lists of ``size``, read (and passed to ``each``) in a thread one or
    two lists ahead: the source is read while the destination writes, which on a busy
    server is most of the time. A reader's error is raised here; stopping early (an
    error, Ctrl-C) stops the reader."""
    chunks: queue.Queue[object] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item: object) -> None:
        while not stop.is_set():
            with contextlib.suppress(queue.Full):
                chunks.put(item, timeout=0.1)
                return

    def read() -> None:
        try:
            batch: list[StoredEvent] = []
            for event in events:
                each(event)
                batch.append(event)
                if len(batch) >= size:
                    put(batch)
                    batch = []
                if stop.is_set():
                    return
            if batch:
                put(batch)
            put(_END)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            put(error)
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="tidings-copy-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = chunks.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        reader.join(timeout=10)
