"""The registry of event types: each class maps to a stable event name and a schema
version, with the upcasters that bring older stored versions up to date.

Names are given, never derived from import paths: classes move, stored names must not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from tidings._model.events import NewEvent, StoredEvent
from tidings._model.identifiers import StreamIdentifier
from tidings._model.jsonvalues import JsonValue, decode_json, normalise_json
from tidings._model.names import validate_name
from tidings._typed.codecs import Codec, codec_for
from tidings.errors import EventDecodingError, UnknownEventTypeError, ValidationError

__all__ = [
    "VERSION_KEY",
    "EventTypes",
    "OnUnknown",
    "TypedEvent",
    "Upcaster",
    "default_event_types",
    "event_type",
]

T = TypeVar("T")
C = TypeVar("C", bound=type)

Upcaster = Callable[[Any], Any]
"""A plain function from one schema version's JSON payload to the next version's."""

OnUnknown = Literal["raise", "untyped"]
"""What a typed read does with an event name no type is registered for."""

VERSION_KEY = "tidings:schema_version"
"""The metadata key that stores a typed event's schema version (absent means 1)."""

_VERSION_MARK = f'"{VERSION_KEY}"'
_VERSION_PREFIX = '{"' + VERSION_KEY + '":'
"""How the metadata of every typed event starts (the version key is written first), so
its version is read without decoding the metadata."""


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: type
    name: str
    version: int
    codec: Codec
    upcasters: tuple[tuple[int, Upcaster], ...]
    """(from version, function), ascending and contiguous up to ``version - 1``."""

    @property
    def oldest(self) -> int:
        return self.upcasters[0][0] if self.upcasters else self.version


@dataclass(frozen=True, slots=True)
class TypedEvent(Generic[T]):
    """A stored event with its payload as an instance of its registered type.

    It keeps every stored coordinate (id, stream, position, sequence number, timestamps,
    metadata) through :attr:`stored`, and adds :attr:`data`. ``version`` is the schema
    version the event was stored with (it was upcast to the current one if older).
    """

    stored: StoredEvent
    data: T
    version: int

    @property
    def id(self) -> str:
        """The stored event's id."""
        return self.stored.id

    @property
    def name(self) -> str:
        """The event name (the type's registered name)."""
        return self.stored.name

    @property
    def category(self) -> str:
        """The category of the event's stream."""
        return self.stored.category

    @property
    def stream(self) -> str:
        """The name of the event's stream."""
        return self.stored.stream

    @property
    def identifier(self) -> StreamIdentifier:
        """The stream this event belongs to."""
        return self.stored.identifier

    @property
    def position(self) -> int:
        """The event's position in its stream."""
        return self.stored.position

    @property
    def sequence_number(self) -> int:
        """The event's sequence number in the store's log."""
        return self.stored.sequence_number

    @property
    def metadata(self) -> JsonValue:
        """The stored metadata, with the schema version key."""
        return self.stored.metadata

    @property
    def occurred_at(self) -> datetime:
        """When the event happened, as the publisher said."""
        return self.stored.occurred_at

    @property
    def observed_at(self) -> datetime:
        """When the publisher observed it."""
        return self.stored.observed_at

    @property
    def recorded_at(self) -> datetime:
        """When the store recorded it."""
        return self.stored.recorded_at


_new = object.__new__
_set_stored, _set_data, _set_version = (
    TypedEvent.__dict__[name].__set__ for name in ("stored", "data", "version")
)


def typed_event(stored: StoredEvent, data: Any, version: int) -> TypedEvent[Any]:
    """A :class:`TypedEvent` built without the frozen dataclass's checked setters (the
    hot path of typed reads)."""
    typed: TypedEvent[Any] = _new(TypedEvent)
    _set_stored(typed, stored)
    _set_data(typed, data)
    _set_version(typed, version)
    return typed


class EventTypes:
    """Maps event classes (Pydantic v2 models, dataclasses) to names and versions.

    Register with :meth:`register` or the :meth:`event` decorator. ``upcasters`` maps
    each older version to the function that turns its JSON payload into the next
    version's; the chain must reach the current version without a gap, and is checked
    when the type is registered. Stored events are never rewritten: upcasting happens
    on every read, before validation.
    """

    def __init__(self) -> None:
        self._by_name: dict[str, _Entry] = {}
        self._by_type: dict[type, _Entry] = {}
        self._lock = threading.Lock()

    def register(
        self,
        kind: C,
        *,
        name: str,
        version: int = 1,
        upcasters: Mapping[int, Upcaster] | None = None,
    ) -> C:
        """Register ``kind`` as the event type named ``name`` at schema ``version``."""
        validate_name(name, "name")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValidationError("version", f"must be an int >= 1, got {version!r}")
        codec = codec_for(kind)
        chain = _checked_chain(name, version, upcasters or {})
        entry = _Entry(kind, name, version, codec, chain)
        with self._lock:
            known = self._by_name.get(name)
            if known is not None and known.kind is not kind:
                raise ValidationError(
                    "name", f"{name!r} is already the name of {known.kind.__qualname__}"
                )
            other = self._by_type.get(kind)
            if other is not None and other.name != name:
                raise ValidationError(
                    "type", f"{kind.__qualname__} is already registered as {other.name!r}"
                )
            self._by_name[name] = entry
            self._by_type[kind] = entry
        return kind

    def event(
        self, name: str, *, version: int = 1, upcasters: Mapping[int, Upcaster] | None = None
    ) -> Callable[[C], C]:
        """A class decorator that registers the class: ``@types.event("order-placed")``."""

        def register(kind: C) -> C:
            return self.register(kind, name=name, version=version, upcasters=upcasters)

        return register

    def name_of(self, kind: type) -> str:
        """The event name registered for ``kind``."""
        return self._entry_of_type(kind).name

    def type_of(self, name: str) -> type | None:
        """The class registered under ``name``, or None."""
        entry = self._by_name.get(name)
        return None if entry is None else entry.kind

    def class_named(self, name: str) -> type | None:
        """The one registered class whose name (or qualified name) is ``name``, if any:
        how a handler annotation that cannot be resolved is matched."""
        found = {kind for kind in self._by_type if name in (kind.__name__, kind.__qualname__)}
        return found.pop() if len(found) == 1 else None

    def version_of(self, kind: type) -> int:
        """The current schema version of ``kind``."""
        return self._entry_of_type(kind).version

    def __contains__(self, item: object) -> bool:
        return item in self._by_name or item in self._by_type

    def new_event(
        self,
        data: object,
        *,
        id: str | None = None,
        metadata: Mapping[str, JsonValue] | None = None,
        occurred_at: datetime | None = None,
        observed_at: datetime | None = None,
        field: str = "event",
    ) -> NewEvent:
        """The :class:`NewEvent` that stores ``data``: its registered name, its JSON
        payload, and its schema version in the metadata (under :data:`VERSION_KEY`)."""
        entry = self._by_type.get(type(data))
        if entry is None:
            raise ValidationError(
                field,
                f"{type(data).__qualname__} is not a registered event type; register it "
                "with EventTypes.register or @event_type(name)",
            )
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ValidationError(
                f"{field}.metadata",
                f"a typed event's metadata must be a mapping, got {type(metadata).__name__}",
            )
        extra = normalise_json(metadata or {}, f"{field}.metadata")
        if VERSION_KEY in extra:
            raise ValidationError(f"{field}.metadata", f"{VERSION_KEY!r} is reserved")
        return NewEvent(
            name=entry.name,
            payload=entry.codec.dump(data, f"{field}.payload"),
            metadata={VERSION_KEY: entry.version, **extra},
            occurred_at=occurred_at,  # type: ignore[arg-type]
            observed_at=observed_at,  # type: ignore[arg-type]
            id=id,
        )

    def as_new_event(self, item: object, field: str) -> NewEvent:
        """``item`` itself if it is a NewEvent, else the NewEvent of a typed instance."""
        if isinstance(item, NewEvent):
            return item
        return self.new_event(item, field=field)

    def decode(
        self, event: StoredEvent, on_unknown: OnUnknown = "raise"
    ) -> TypedEvent[Any] | StoredEvent:
        """``event`` as a :class:`TypedEvent`: upcast from its stored version, then
        validated (straight from the stored text when no upcast is needed). An unknown
        name raises :class:`UnknownEventTypeError`, or with ``on_unknown="untyped"``
        returns the event unchanged."""
        entry = self._by_name.get(event.name)
        if entry is None:
            if on_unknown == "untyped":
                return event
            raise UnknownEventTypeError(
                event.name, "no type is registered for this name (pass on_unknown='untyped')"
            )
        data, version = self._data(entry, event)
        return typed_event(event, data, version)

    def data_of(self, event: StoredEvent) -> Any:
        """The typed payload of ``event`` (for projector handlers)."""
        entry = self._by_name.get(event.name)
        if entry is None:
            raise UnknownEventTypeError(event.name, "no type is registered for this name")
        return self._data(entry, event)[0]

    def _data(self, entry: _Entry, event: StoredEvent) -> tuple[Any, int]:
        version = stored_version(event)
        try:
            if version == entry.version:
                return entry.codec.load_json(event.payload_json), version
            if version > entry.version:
                reason = f"is newer than the registered version {entry.version}"
                raise EventDecodingError(event.id, event.name, version, reason)
            if version < entry.oldest:
                reason = (
                    f"has no upcaster (the oldest is from version {entry.oldest}); "
                    "stored events are never rewritten, so register one"
                )
                raise EventDecodingError(event.id, event.name, version, reason)
            value = decode_json(event.payload_json)
            for start, upcast in entry.upcasters:
                if start >= version:
                    value = upcast(value)
            return entry.codec.load(value), version
        except EventDecodingError:
            raise
        except Exception as error:  # Pydantic's ValidationError, a failing upcaster...
            reason = f"cannot become {entry.kind.__qualname__}: {error}"
            raise EventDecodingError(event.id, event.name, version, reason) from error

    def _entry_of_type(self, kind: type) -> _Entry:
        entry = self._by_type.get(kind)
        if entry is None:
            raise UnknownEventTypeError(
                getattr(kind, "__qualname__", repr(kind)), "this class is not registered"
            )
        return entry

    def __repr__(self) -> str:
        names = ", ".join(f"{e.name}@v{e.version}" for e in self._by_name.values())
        return f"EventTypes({names})"


def stored_version(event: StoredEvent) -> int:
    """The schema version stored in ``event``'s metadata (1 when absent); the metadata
    is decoded only if its text mentions the version key elsewhere than first."""
    text = event.metadata_json
    if text.startswith(_VERSION_PREFIX):
        end = len(_VERSION_PREFIX)
        digits = text[end : end + 4].partition(",")[0].partition("}")[0]
        if digits.isdigit() and digits.isascii() and digits[0] != "0":
            return int(digits)
    if _VERSION_MARK not in text:
        return 1
    metadata = event.metadata
    version = metadata.get(VERSION_KEY, 1) if isinstance(metadata, dict) else 1
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise EventDecodingError(
            event.id, event.name, 0, f"metadata {VERSION_KEY!r} is not a version: {version!r}"
        )
    return version


def _checked_chain(
    name: str, version: int, upcasters: Mapping[int, Upcaster]
) -> tuple[tuple[int, Upcaster], ...]:
    """Upcasters sorted by version, or ValidationError naming the first gap."""
    if not isinstance(upcasters, Mapping):
        raise ValidationError("upcasters", "must map a version to its upcaster function")
    for start, upcast in upcasters.items():
        if isinstance(start, bool) or not isinstance(start, int) or not 1 <= start < version:
            raise ValidationError(
                "upcasters",
                f"{name!r}: key {start!r} must be a version from 1 to {version - 1} "
                f"(an upcaster goes from its key's version to the next)",
            )
        if not callable(upcast):
            raise ValidationError("upcasters", f"{name!r}: the upcaster of {start} is not callable")
    if not upcasters:
        return ()
    oldest = min(upcasters)
    missing = [v for v in range(oldest, version) if v not in upcasters]
    if missing:
        raise ValidationError(
            "upcasters",
            f"{name!r}: the chain from version {oldest} to {version} has no upcaster from "
            f"version {missing[0]} to {missing[0] + 1}",
        )
    return tuple(sorted(upcasters.items()))


_default = EventTypes()


def default_event_types() -> EventTypes:
    """The process-wide registry that :func:`event_type` fills and stores use by default."""
    return _default


def event_type(
    name: str, *, version: int = 1, upcasters: Mapping[int, Upcaster] | None = None
) -> Callable[[C], C]:
    """Register a class in the default registry: ``@tidings.event_type("order-placed")``."""
    return _default.event(name, version=version, upcasters=upcasters)
