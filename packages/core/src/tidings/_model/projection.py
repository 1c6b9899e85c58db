"""Projections: reduce a sequence of events to a state (contract rules 20-21)."""

from __future__ import annotations

import contextlib
import inspect
import re
import typing
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
from tidings._model.jsonvalues import normalise_json
from tidings._model.names import validate_name
from tidings._model.state import State
from tidings._typed.codecs import codec_for, is_pydantic_model, state_to_json
from tidings._typed.registry import EventTypes, default_event_types
from tidings.errors import MissingHandlerError, ValidationError

__all__ = ["Handler", "Projection", "Projector", "default_id", "handler_name"]

Handler = Callable[[Any, StoredEvent], Any]
AnyHandler = Callable[[Any, Any], Any]
"""A handler of stored events, or of a registered type's data (dispatched by its type)."""

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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict: datetimes as ISO 8601 strings, the source as
        ``{"kind": "stream", "category": ..., "stream": ...}`` (or None), and a Pydantic
        or dataclass state as its JSON form. See :meth:`from_dict`."""
        return {
            "name": self.name,
            "id": self.id,
            "state": state_to_json(self.state),
            "source": _source_to_dict(self.source),
            "position": self.position,
            "sequence_number": self.sequence_number,
            "projector_version": self.projector_version,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Projection:
        """The projection :meth:`to_dict` made (its state as a :class:`State` when it is
        a mapping); every key is checked, and every key is required."""
        if not isinstance(data, dict):
            raise ValidationError("projection", f"must be a dict, got {type(data).__name__}")
        keys = set(data)
        if keys != _PROJECTION_KEYS:
            missing, unknown = _PROJECTION_KEYS - keys, keys - _PROJECTION_KEYS
            raise ValidationError(
                "projection",
                f"missing keys {sorted(missing)}" if missing else f"unknown keys {sorted(unknown)}",
            )
        for key in ("position", "sequence_number"):
            value = data[key]
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ValidationError(key, f"must be None or an int >= 0, got {value!r}")
        version = data["projector_version"]
        if isinstance(version, bool) or not isinstance(version, int):
            raise ValidationError("projector_version", f"must be an int, got {version!r}")
        return cls(
            name=validate_name(data["name"], "name"),
            id=validate_name(data["id"], "id"),
            state=as_state(normalise_json(data["state"], "state")),
            source=_source_from_dict(data["source"]),
            position=data["position"],
            sequence_number=data["sequence_number"],
            projector_version=version,
            created_at=_moment(data["created_at"], "created_at"),
            updated_at=_moment(data["updated_at"], "updated_at"),
        )


_PROJECTION_KEYS = frozenset(
    (
        "name",
        "id",
        "state",
        "source",
        "position",
        "sequence_number",
        "projector_version",
        "created_at",
        "updated_at",
    )
)


def _source_to_dict(source: Identifier | None) -> dict[str, str] | None:
    if source is None:
        return None
    return {"kind": source.kind, **dict(zip(_SOURCE_KEYS[source.kind], source.keys))}


_SOURCE_KEYS = {"log": (), "category": ("category",), "stream": ("category", "stream")}


def _source_from_dict(value: object) -> Identifier | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("kind") not in _SOURCE_KEYS:
        raise ValidationError(
            "source", f"must be None or a dict whose kind is log, category or stream: {value!r}"
        )
    kind = value["kind"]
    names = _SOURCE_KEYS[kind]
    if set(value) != {"kind", *names}:
        raise ValidationError("source", f"a {kind} source has the keys kind, {', '.join(names)}")
    if kind == "stream":
        return StreamIdentifier(value["category"], value["stream"])
    if kind == "category":
        return CategoryIdentifier(value["category"])
    return LogIdentifier()


def _moment(value: object, key: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as error:
            raise ValidationError(key, f"{value!r} is not an ISO 8601 datetime") from error
    return to_utc(value, key)


_MISSING: Any = object()


def _now() -> datetime:
    return to_utc(current_clock().now(), "clock")


class Projector:
    """Reduces events to a state with handlers ``(state, event) -> state``.

    Give handlers as a mapping from event name to function, or subclass and define
    methods named after events in snake_case (``def profile_created(self, state, event)``).
    A handler (function or method, of any name) whose event parameter is annotated with
    an event type registered in ``types`` (by default the registry
    :func:`~tidings.event_type` fills) is dispatched by that type, and receives the
    event's typed data. An event without a handler raises :class:`MissingHandlerError`,
    unless ``on_missing="ignore"``. Bump ``version`` when the handlers change, so that
    stored snapshots made by the old logic are not resumed.

    The state may be a Pydantic model or a dataclass: it is saved as JSON (searchable
    as any state) and turned back into the initial state's class when resumed.
    """

    name: str = ""
    version: int = 1

    def __init__(
        self,
        handlers: Mapping[str, AnyHandler] | Iterable[AnyHandler] | None = None,
        *,
        types: EventTypes | None = None,
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
        if types is not None and not isinstance(types, EventTypes):
            raise ValidationError("types", f"must be an EventTypes registry, got {types!r}")
        self._types = default_event_types() if types is None else types
        self._handlers: dict[str, Handler] = {}
        self._typed: dict[str, Handler] = {}
        """Handlers dispatched by registered type, keyed by the type's event name."""
        if isinstance(handlers, Mapping):
            for key, handler in handlers.items():
                if self._add_typed(handler, f"handlers[{key!r}]"):
                    continue
                normalised = handler_name(key)
                if normalised in self._handlers:
                    raise ValidationError(
                        "handlers", f"{key!r} and another key both dispatch to {normalised!r}"
                    )
                self._handlers[normalised] = handler
        elif handlers is not None:
            if isinstance(handlers, str | bytes) or not isinstance(handlers, Iterable):
                raise ValidationError("handlers", "must be a mapping or a list of functions")
            for index, handler in enumerate(handlers):
                if not self._add_typed(handler, f"handlers[{index}]"):
                    raise ValidationError(
                        f"handlers[{index}]",
                        "a handler given in a list must annotate its event parameter with "
                        "a registered event type",
                    )
        for attribute in _own_methods(type(self)):
            self._add_typed(getattr(self, attribute), attribute)
        self._initial_state = initial_state or State
        self._on_missing = on_missing
        self._resolved: dict[str, Handler | None] = {}
        """Handlers found by event name: a fold looks each name up once, not per event."""

    def _add_typed(self, handler: AnyHandler, field: str) -> bool:
        """Register ``handler`` by the type of its event parameter, if that is a
        registered event type; False when it is not a typed handler."""
        kind = _event_annotation(handler)
        if isinstance(kind, str):
            kind = self._types.class_named(kind)
        if kind is None or kind not in self._types:
            return False
        name = self._types.name_of(kind)
        if name in self._typed:
            raise ValidationError(field, f"a second handler for {kind.__qualname__} ({name!r})")
        data_of = self._types.data_of
        self._typed[name] = lambda state, event: handler(state, data_of(event))
        return True

    def initial_state(self) -> Any:
        """A fresh initial state (an empty :class:`State` unless configured)."""
        return as_state(self._initial_state())

    def restore_state(self, stored: Any) -> Any:
        """A state loaded from JSON, as the class of the initial state when that is a
        Pydantic model or a dataclass (stored states are their JSON form)."""
        kind = type(self._initial_state())
        if isinstance(stored, kind) or not (is_pydantic_model(kind) or _is_dataclass_type(kind)):
            return stored
        try:
            return codec_for(kind, "state").load(dict(stored))
        except Exception as error:
            raise ValidationError(
                "state", f"the stored state is not a valid {kind.__qualname__}: {error}"
            ) from error

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
        try:
            return self._resolved[event_name]
        except KeyError:
            found = self._find_handler(event_name)
            self._resolved[event_name] = found
            return found

    def _find_handler(self, event_name: str) -> Handler | None:
        typed = self._typed.get(event_name)
        if typed is not None:
            return typed
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


def _own_methods(kind: type) -> list[str]:
    """The public methods a Projector subclass defines (candidates for typed dispatch)."""
    if kind is Projector:
        return []
    return [
        name
        for name in dir(kind)
        if not name.startswith("_")
        and name not in _RESERVED
        and inspect.isfunction(inspect.getattr_static(kind, name))
    ]


def _event_annotation(handler: Callable[..., Any]) -> type | str | None:
    """The class annotating a handler's event parameter (its second, after the state);
    its name when it cannot be resolved (a class local to a function); else None."""
    try:
        parameters = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        return None
    if len(parameters) < 2:
        return None
    annotation = parameters[1].annotation
    with contextlib.suppress(Exception):  # an unresolvable annotation: try it by name
        annotation = typing.get_type_hints(handler).get(parameters[1].name, annotation)
    if isinstance(annotation, type | str) and annotation is not inspect.Parameter.empty:
        return annotation
    return None


def _is_dataclass_type(kind: type) -> bool:
    import dataclasses

    return dataclasses.is_dataclass(kind)


class _Fold:
    """One projection run, fed an event at a time: the reduction both faces share."""

    __slots__ = ("last", "projection", "projector", "state", "streams")

    def __init__(self, projector: Projector, projection: Projection) -> None:
        self.projector = projector
        self.projection = projection
        self.state = projection.state
        self.last: StoredEvent | None = None
        self.streams: set[tuple[str, str]] = set()
        """(category, stream) of each event added; identifiers are built once, at the end."""

    def add(self, event: StoredEvent) -> None:
        handler = self.projector._handler_for(event.name)
        if handler is not None:
            self.state = as_state(handler(self.state, event))
        self.last = event
        self.streams.add((event.category, event.stream))

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


def _identify(streams: set[tuple[str, str]]) -> Identifier | None:
    if not streams:
        return None
    if len(streams) == 1:
        return StreamIdentifier(*next(iter(streams)))
    categories = {category for category, _ in streams}
    if len(categories) == 1:
        return CategoryIdentifier(categories.pop())
    return LogIdentifier()
