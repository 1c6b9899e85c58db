"""Projections: reduce a sequence of events to a state (SEMANTICS rules 20-21)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, overload

from tidings.errors import MissingHandlerError, ValidationError
from tidings.events import StoredEvent
from tidings.identifiers import CategoryIdentifier, Identifier, LogIdentifier, StreamIdentifier

__all__ = ["Handler", "Projection", "Projector", "State", "handler_name"]

S = TypeVar("S")
Handler = Callable[[Any, StoredEvent], Any]


class State(Mapping[str, Any]):
    """An immutable mapping; :meth:`merge` returns a new state with keys added or replaced.

    Projection handlers receive mapping states as ``State``, so they can write
    ``state.merge({...})`` as in the seed README.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:
        self._data: dict[str, Any] = {**(data or {}), **kwargs}

    def merge(self, other: Mapping[str, Any] | None = None, /, **kwargs: Any) -> State:
        """A new state with the keys of ``other`` (and ``kwargs``) added or replaced."""
        return State({**self._data, **(other or {}), **kwargs})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def to_dict(self) -> dict[str, Any]:
        """A plain, mutable copy."""
        return dict(self._data)

    def __repr__(self) -> str:
        return f"State({self._data!r})"


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^0-9A-Za-z]+")


def handler_name(event_name: str) -> str:
    """The snake_case handler name for an event name.

    ``profile-created``, ``ProfileCreated`` and ``profile_created`` all give
    ``profile_created``.
    """
    spaced = _CAMEL_BOUNDARY.sub("_", event_name)
    return _SEPARATORS.sub("_", spaced).strip("_").lower()


@dataclass(frozen=True, slots=True)
class Projection(Generic[S]):
    """A state reduced from events, with where it came from and how far it got.

    ``position`` and ``sequence_number`` are those of the last event applied (None when
    no event was applied), so a projection can be resumed later.
    """

    state: S
    source: Identifier | None
    name: str
    position: int | None = None
    sequence_number: int | None = None

    @property
    def version(self) -> tuple[int | None, int | None]:
        """(position, sequence number) of the last event applied."""
        return self.position, self.sequence_number


_MISSING: Any = object()


class Projector:
    """Reduces events to a state with handlers ``(state, event) -> state``.

    Give handlers as a mapping from event name to function, or subclass and define
    methods named after events in snake_case (``def profile_created(self, state, event)``).
    An event without a handler raises :class:`MissingHandlerError`, unless
    ``on_missing="ignore"``.
    """

    name: str = ""

    def __init__(
        self,
        handlers: Mapping[str, Handler] | None = None,
        *,
        name: str | None = None,
        initial_state: Callable[[], Any] | None = None,
        on_missing: Literal["raise", "ignore"] = "raise",
    ) -> None:
        if on_missing not in ("raise", "ignore"):
            raise ValidationError("on_missing", f"must be 'raise' or 'ignore', got {on_missing!r}")
        self.name = name or self.name or type(self).__name__
        self._handlers = {handler_name(key): value for key, value in (handlers or {}).items()}
        self._initial_state = initial_state or State
        self._on_missing = on_missing

    def initial_state(self) -> Any:
        """A fresh initial state (an empty :class:`State` unless configured)."""
        return _as_state(self._initial_state())

    @overload
    def project(self, source: Iterable[StoredEvent], /) -> Projection[Any]: ...
    @overload
    def project(self, state: Any, source: Iterable[StoredEvent], /) -> Projection[Any]: ...

    def project(self, first: Any, second: Any = _MISSING, /) -> Projection[Any]:
        """Apply the events of ``source`` (a scope or any iterable of events) to a state.

        Call as ``project(source)`` to start from the initial state, or
        ``project(state, source)`` to start from ``state``.
        """
        state, source = (self.initial_state(), first) if second is _MISSING else (first, second)
        state = _as_state(state)
        last: StoredEvent | None = None
        streams: set[StreamIdentifier] = set()
        for event in source:
            handler = self._handler_for(event.name)
            if handler is not None:
                state = _as_state(handler(state, event))
            last = event
            streams.add(event.identifier)
        return Projection(
            state=state,
            source=getattr(source, "identifier", None) or _identify(streams),
            name=self.name,
            position=None if last is None else last.position,
            sequence_number=None if last is None else last.sequence_number,
        )

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


def _as_state(value: Any) -> Any:
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
