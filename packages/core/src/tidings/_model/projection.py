"""Projections: reduce a sequence of events to a state (contract rules 20-21)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, overload

from tidings._model.clock import current_clock
from tidings._model.events import StoredEvent, to_utc
from tidings._model.identifiers import (
    CategoryIdentifier,
    Identifier,
    LogIdentifier,
    StreamIdentifier,
)
from tidings._model.state import State
from tidings.errors import MissingHandlerError, ValidationError

__all__ = ["Handler", "Projection", "Projector", "default_id", "handler_name"]

Handler = Callable[[Any, StoredEvent], Any]

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^0-9A-Za-z]+")


def handler_name(event_name: str) -> str:
    """The snake_case handler name for an event name.

    ``profile-created``, ``ProfileCreated`` and ``profile_created`` all give
    ``profile_created``.
    """
    spaced = _CAMEL_BOUNDARY.sub("_", event_name)
    return _SEPARATORS.sub("_", spaced).strip("_").lower()


def default_id(source: Identifier | None) -> str:
    """The id a projection gets from its source: the stream or category name, or ``log``."""
    if isinstance(source, StreamIdentifier):
        return source.stream
    if isinstance(source, CategoryIdentifier):
        return source.category
    return "log"


@dataclass(frozen=True, slots=True, kw_only=True)
class Projection:
    """A state reduced from events: what, from where, and how far it got.

    ``position`` and ``sequence_number`` are those of the last event applied (None when
    no event was applied), so a projection can be resumed. ``projector_version`` ties a
    stored projection to the projector logic that made it.
    """

    name: str
    id: str
    state: Any
    source: Identifier | None = None
    position: int | None = None
    sequence_number: int | None = None
    projector_version: int = 1
    created_at: datetime = field(default_factory=lambda: _now())
    updated_at: datetime = field(default_factory=lambda: _now())

    @property
    def version(self) -> tuple[int | None, int | None]:
        """(position, sequence number) of the last event applied."""
        return self.position, self.sequence_number


_MISSING: Any = object()


def _now() -> datetime:
    return to_utc(current_clock().now(), "clock")


class Projector:
    """Reduces events to a state with handlers ``(state, event) -> state``.

    Give handlers as a mapping from event name to function, or subclass and define
    methods named after events in snake_case (``def profile_created(self, state, event)``).
    An event without a handler raises :class:`MissingHandlerError`, unless
    ``on_missing="ignore"``. Bump ``version`` when the handlers change, so that stored
    snapshots made by the old logic are not resumed.
    """

    name: str = ""
    version: int = 1

    def __init__(
        self,
        handlers: Mapping[str, Handler] | None = None,
        *,
        name: str | None = None,
        version: int | None = None,
        initial_state: Callable[[], Any] | None = None,
        on_missing: Literal["raise", "ignore"] = "raise",
    ) -> None:
        if on_missing not in ("raise", "ignore"):
            raise ValidationError("on_missing", f"must be 'raise' or 'ignore', got {on_missing!r}")
        self.name = name or self.name or type(self).__name__
        if version is not None:
            self.version = version
        if not isinstance(self.version, int) or isinstance(self.version, bool):
            raise ValidationError("version", f"must be an int, got {self.version!r}")
        self._handlers: dict[str, Handler] = {}
        for key, handler in (handlers or {}).items():
            normalised = handler_name(key)
            if normalised in self._handlers:
                raise ValidationError(
                    "handlers", f"{key!r} and another key both dispatch to {normalised!r}"
                )
            self._handlers[normalised] = handler
        self._initial_state = initial_state or State
        self._on_missing = on_missing

    def initial_state(self) -> Any:
        """A fresh initial state (an empty :class:`State` unless configured)."""
        return as_state(self._initial_state())

    @overload
    def project(self, source: Iterable[StoredEvent], /, *, id: str | None = None) -> Projection: ...
    @overload
    def project(
        self, source: AsyncIterable[StoredEvent], /, *, id: str | None = None
    ) -> Awaitable[Projection]: ...
    @overload
    def project(
        self, state: Any, source: Iterable[StoredEvent], /, *, id: str | None = None
    ) -> Projection: ...
    @overload
    def project(
        self, state: Any, source: AsyncIterable[StoredEvent], /, *, id: str | None = None
    ) -> Awaitable[Projection]: ...

    def project(
        self, first: Any, second: Any = _MISSING, /, *, id: str | None = None
    ) -> Projection | Awaitable[Projection]:
        """Apply the events of ``source`` (a scope or any iterable of events) to a state.

        Call as ``project(source)`` to start from the initial state, or
        ``project(state, source)`` to start from ``state``. ``id`` defaults to the
        source's stream or category name. With an async scope or async iterable, the
        result is awaitable: ``await projector.project(store.stream(...))``.
        """
        state, source = (self.initial_state(), first) if second is _MISSING else (first, second)
        start = Projection(
            name=self.name, id="", state=as_state(state), projector_version=self.version
        )
        if isinstance(source, AsyncIterable):
            return self._project_async(start, source, id)
        fold = _Fold(self, start)
        for event in source:
            fold.add(event)
        return fold.finish(getattr(source, "identifier", None), id)

    async def _project_async(
        self, start: Projection, source: AsyncIterable[StoredEvent], id: str | None
    ) -> Projection:
        fold = _Fold(self, start)
        async for event in source:
            fold.add(event)
        return fold.finish(getattr(source, "identifier", None), id)

    def apply(self, projection: Projection, events: Iterable[StoredEvent]) -> Projection:
        """Continue ``projection`` with ``events``, returning the advanced projection."""
        fold = _Fold(self, projection)
        for event in events:
            fold.add(event)
        return fold.advanced()

    def _handler_for(self, event_name: str) -> Handler | None:
        key = handler_name(event_name)
        found = self._handlers.get(key)
        if found is None:
            method = getattr(self, key, None)
            if callable(method) and not key.startswith("_") and key not in _RESERVED:
                found = method
        if found is None and self._on_missing == "raise":
            raise MissingHandlerError(event_name, self.name)
        return found


_RESERVED = frozenset(dir(Projector))


class _Fold:
    """One projection run, fed an event at a time: the reduction both faces share."""

    __slots__ = ("last", "projection", "projector", "state", "streams")

    def __init__(self, projector: Projector, projection: Projection) -> None:
        self.projector = projector
        self.projection = projection
        self.state = projection.state
        self.last: StoredEvent | None = None
        self.streams: set[StreamIdentifier] = set()

    def add(self, event: StoredEvent) -> None:
        handler = self.projector._handler_for(event.name)
        if handler is not None:
            self.state = as_state(handler(self.state, event))
        self.last = event
        self.streams.add(event.identifier)

    def advanced(self) -> Projection:
        """The projection moved on past the events added (unchanged if none were)."""
        if self.last is None:
            return self.projection
        return replace(
            self.projection,
            state=self.state,
            source=self.projection.source or _identify(self.streams),
            position=self.last.position,
            sequence_number=self.last.sequence_number,
            updated_at=_now(),
        )

    def finish(self, source: Identifier | None, id: str | None) -> Projection:
        """The result of ``project``: named by its source unless ``id`` is given."""
        result = self.advanced()
        identifier = source or result.source
        return replace(
            result, source=identifier, id=id if id is not None else default_id(identifier)
        )


def as_state(value: Any) -> Any:
    """Mappings become :class:`State`, so handlers can ``merge``; other states pass through."""
    if isinstance(value, Mapping) and not isinstance(value, State):
        return State(value)
    return value


def _identify(streams: set[StreamIdentifier]) -> Identifier | None:
    if not streams:
        return None
    if len(streams) == 1:
        return next(iter(streams))
    categories = {stream.category for stream in streams}
    if len(categories) == 1:
        return CategoryIdentifier(categories.pop())
    return LogIdentifier()
