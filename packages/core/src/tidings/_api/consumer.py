# Generated from async_consumer.py by tools/unasync.py: do not edit.
"""Durable consumers: a named subscription whose checkpoint lives in the store.

The async module is the one source of both faces; the sync module is generated from it
by ``tools/unasync.py``. A :class:`Consumer` hands each event to a handler and is
at-least-once: it saves its checkpoint once per page read, so after a crash it handles
again at most the events since its last save. A :class:`ProjectionConsumer` keeps a
projection up to date and saves the projection and its checkpoint in one atomic step,
which makes it exactly-once: a crash can never apply an event twice or lose one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from tidings._api.consuming import (
    CHECKPOINTS,
    PARKED,
    RetryPolicy,
    checkpoint_of,
    checkpoint_record,
    consumer_name,
    parked_event,
    replayed_event,
)
from tidings._api.projection_plan import checked
from tidings._api.subscription import Subscription
from tidings._api.subscription_arguments import Start, subscription_arguments
from tidings._model.checkpoint import Checkpoint
from tidings._model.conditions import WriteCondition
from tidings._model.events import NewEvent, StoredEvent
from tidings._model.identifiers import Identifier, StreamIdentifier
from tidings._model.projection import Projection, Projector, default_id
from tidings._protocol.adapter import ProjectionStorage, StorageAdapter
from tidings._protocol.requests import ScanRequest
from tidings.errors import ValidationError

__all__ = ["Consumer", "ProjectionConsumer", "handle_with_retry"]

Handler = Callable[[StoredEvent], Any]


class _Stream(Protocol):
    def publish(
        self, *, events: Sequence[NewEvent], condition: WriteCondition | None = None
    ) -> list[StoredEvent]: ...

    def read(self) -> list[StoredEvent]: ...


class _Store(Protocol):
    """What a consumer needs of its store (so it does not depend on the store module)."""

    @property
    def adapter(self) -> StorageAdapter: ...

    def stream(self, *, category: str, stream: str) -> _Stream: ...


class _Source(Protocol):
    """What a consumer needs of the scope it follows."""

    @property
    def identifier(self) -> Identifier: ...

    def subscribe(
        self,
        *,
        start: Start = "beginning",
        names: Iterable[str] | None = None,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        until_caught_up: bool = False,
    ) -> Subscription: ...


class Consumer:
    """A named, durable follower of a scope that hands every event to ``handler``.

    Run it with :meth:`run`; it resumes after its stored checkpoint, catches up, then
    follows live until :meth:`stop` (or, with ``until_caught_up``, until nothing is
    left). A failing handler is retried as ``retry`` says. The handler may be a plain
    function or, on the async face, a coroutine function.
    """

    def __init__(
        self,
        store: _Store,
        *,
        name: str,
        source: _Source,
        handler: Handler,
        names: Iterable[str] | None = None,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not callable(handler):
            raise ValidationError("handler", f"must be callable, got {handler!r}")
        subscription_arguments(source.identifier, "beginning", names, batch_size, poll_interval)
        self.name = consumer_name(name)
        self._store = store
        self._source = source
        self._handler = handler
        self._names = names
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self.retry = retry if retry is not None else RetryPolicy()
        self._subscription: Subscription | None = None
        self._stopping = False

    def checkpoint(self) -> Checkpoint | None:
        """The stored checkpoint: where the next run resumes (None: the beginning)."""
        return checkpoint_of(self._storage().load(CHECKPOINTS, self.name))

    def run(self, *, until_caught_up: bool = False) -> int:
        """Handle events from the stored checkpoint on; return how many were handled.

        The checkpoint is saved after each page and when the run ends. With the
        ``"stop"`` failure policy, a handler that keeps failing ends the run with its
        error, and the checkpoint stays before the failing event.
        """
        storage = self._storage()
        saved = checkpoint_of(storage.load(CHECKPOINTS, self.name))
        subscription = self._source.subscribe(
            start=saved if saved is not None else "beginning",
            names=self._names,
            batch_size=self._batch_size,
            poll_interval=self._poll_interval,
            until_caught_up=until_caught_up,
        )
        self._subscription = subscription
        if self._stopping:  # stop() came before the subscription existed
            subscription.close()
        done, handled = saved, 0
        try:
            for event in subscription:
                reached = subscription.checkpoint
                self._handle(event)
                done, handled = reached, handled + 1
                if subscription.page_done and reached is not None and reached != saved:
                    storage.save(checkpoint_record(self.name, reached, self._source.identifier))
                    saved = reached
        finally:
            self._stopping = False
            if done is not None and done != saved:
                storage.save(checkpoint_record(self.name, done, self._source.identifier))
        return handled

    def stop(self) -> None:
        """Ask a running :meth:`run` to end after the event in hand; it saves its
        checkpoint first. Safe to call from another thread or task."""
        self._stopping = True
        if self._subscription is not None:
            self._subscription.close()

    def parked(self) -> list[StoredEvent]:
        """The events parked in this consumer's dead-letter stream and not replayed."""
        records = self._store.stream(category=PARKED, stream=self.name).read()
        replayed = {r.payload["parked"] for r in records if r.name == "replayed"}
        return [r for r in records if r.name == "parked" and r.id not in replayed]

    def replay_parked(self) -> int:
        """Hand each parked event to the handler again, once (no retries); return how
        many succeeded. A failure stops the replay and leaves that event parked."""
        replayed = 0
        dead_letters = self._store.stream(category=PARKED, stream=self.name)
        for record in self.parked():
            coordinates = record.payload["event"]
            original = self._original(coordinates)
            _call(self._handler, original)
            dead_letters.publish(events=[replayed_event(self.name, record)])
            replayed += 1
        return replayed

    def _original(self, coordinates: dict[str, Any]) -> StoredEvent:
        stream = StreamIdentifier(coordinates["category"], coordinates["stream"])
        request = ScanRequest(stream, after=int(coordinates["sequence_number"]) - 1, limit=1)
        found = list(self._store.adapter.scan(request))
        return found[0]

    def _handle(self, event: StoredEvent) -> None:
        handle_with_retry(self._store, self.name, self._handler, self.retry, event)

    def _storage(self) -> ProjectionStorage:
        return self._store.adapter.projections()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, source={self._source!r})"


class ProjectionConsumer:
    """Keeps the projection of a scope up to date, exactly once.

    Each page of events is applied with ``projector`` and the result is saved together
    with the consumer's checkpoint, in one atomic step of the adapter. A projector whose
    ``version`` changed starts again from the beginning. The projection is stored under
    (projector name, ``id``), and ``id`` defaults to the source's name.
    """

    def __init__(
        self,
        store: _Store,
        *,
        name: str,
        source: _Source,
        projector: Projector,
        id: str | None = None,
        batch_size: int = 100,
        poll_interval: float = 1.0,
    ) -> None:
        if not isinstance(projector, Projector):
            raise ValidationError("projector", f"must be a Projector, got {projector!r}")
        subscription_arguments(source.identifier, "beginning", None, batch_size, poll_interval)
        self.name = consumer_name(name)
        self._store = store
        self._source = source
        self.projector = projector
        self.id = id if id is not None else default_id(source.identifier)
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._subscription: Subscription | None = None
        self._stopping = False

    def run(self, *, until_caught_up: bool = False) -> Projection:
        """Apply events from the stored checkpoint on; return the projection as saved."""
        storage = self._store.adapter.projections()
        current = storage.load(self.projector.name, self.id)
        saved = checkpoint_of(storage.load(CHECKPOINTS, self.name))
        if current is None or current.projector_version != self.projector.version:
            current, saved = self._fresh(), None
        else:  # a Pydantic or dataclass state is stored as JSON: back to its class
            current = replace(current, state=self.projector.restore_state(current.state))
        subscription = self._source.subscribe(
            start=saved if saved is not None else "beginning",
            batch_size=self._batch_size,
            poll_interval=self._poll_interval,
            until_caught_up=until_caught_up,
        )
        self._subscription = subscription
        if self._stopping:  # stop() came before the subscription existed
            subscription.close()
        try:
            for batch in subscription.batches():
                current = self.projector.apply(current, batch)
                checkpoint = subscription.checkpoint
                assert checkpoint is not None  # a batch has a last event
                record = checkpoint_record(self.name, checkpoint, self._source.identifier)
                storage.save_all([checked(current), record])
        finally:
            self._stopping = False
        return current

    def stop(self) -> None:
        """Ask a running :meth:`run` to end after the batch in hand (or a run that is
        starting to end at once)."""
        self._stopping = True
        if self._subscription is not None:
            self._subscription.close()

    def _fresh(self) -> Projection:
        return Projection(
            name=self.projector.name,
            id=self.id,
            state=self.projector.initial_state(),
            source=self._source.identifier,
            projector_version=self.projector.version,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, projector={self.projector!r})"


def handle_with_retry(
    store: _Store, name: str, handler: Handler, retry: RetryPolicy, event: StoredEvent
) -> None:
    """Hand ``event`` to ``handler``, retrying as ``retry`` says; then stop (re-raise),
    skip, or park it in the dead-letter stream of ``name``. Consumers and group members
    share it."""
    failures = 0
    while True:
        try:
            _call(handler, event)
            return
        except Exception as error:
            failures += 1
            if failures < retry.attempts:
                _sleep(retry.delay(failures))
                continue
            if retry.on_failure == "stop":
                raise
            if retry.on_failure == "park":
                parked = parked_event(name, event, error)
                dead_letters = store.stream(category=PARKED, stream=name)
                dead_letters.publish(events=[parked])
            return


def _call(handler: Handler, event: StoredEvent) -> None:
    handler(event)


def _sleep(seconds: float) -> None:

    time.sleep(seconds)
