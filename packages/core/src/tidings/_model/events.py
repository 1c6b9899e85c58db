"""Events as callers write them (:class:`NewEvent`) and as the store returns them.

A stored event keeps its payload and metadata as the JSON text the store holds and
decodes each on first access, so a read pays only for what its caller looks at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from tidings._model.clock import current_clock
from tidings._model.identifiers import StreamIdentifier
from tidings._model.jsonvalues import JsonValue, decode_json, encode_json, normalise_json
from tidings._model.names import validate_name
from tidings.errors import ValidationError

__all__ = [
    "JsonText",
    "NewEvent",
    "StoredEvent",
    "shared_stored_event",
    "stored_event_from_json",
    "stored_event_from_new",
    "to_utc",
]


def to_utc(value: object, field: str) -> datetime:
    """Return an aware datetime normalised to UTC; naive datetimes are ambiguous."""
    if not isinstance(value, datetime):
        raise ValidationError(field, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(field, "must be timezone-aware; naive datetimes are ambiguous")
    try:
        return value.astimezone(UTC)
    except OverflowError as error:  # 9999-12-31 at UTC-5 is in the year 10000 at UTC
        raise ValidationError(
            field, f"{value.isoformat()} is outside the years 1-9999 once converted to UTC"
        ) from error


def _validate_id(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("id", f"must be a str, got {type(value).__name__}")
    return validate_name(value, "id")


def _moment_of(data: dict[str, Any], key: str) -> datetime:
    value = data.get(key)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as error:
            raise ValidationError(key, f"{value!r} is not an ISO 8601 datetime") from error
    return to_utc(value, key)


def _mapping(data: object, kind: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError(kind, f"must be a dict, got {type(data).__name__}")
    return data


@dataclass(frozen=True, slots=True, kw_only=True)
class NewEvent:
    """An event to publish.

    Validated on construction, so a bad event fails where it is made, before any I/O.
    ``observed_at`` defaults to now (from the injectable clock), ``occurred_at`` to
    ``observed_at``, and ``id`` to one the store generates.
    """

    name: str
    payload: JsonValue = field(default_factory=dict)
    metadata: JsonValue = field(default_factory=dict)
    occurred_at: datetime = None  # type: ignore[assignment]
    observed_at: datetime = None  # type: ignore[assignment]
    id: str | None = None

    def __post_init__(self) -> None:
        validate_name(self.name, "name")
        setter = object.__setattr__
        setter(self, "payload", normalise_json(self.payload, "payload"))
        setter(self, "metadata", normalise_json(self.metadata, "metadata"))
        observed = current_clock().now() if self.observed_at is None else self.observed_at
        observed = to_utc(observed, "observed_at")
        occurred = observed if self.occurred_at is None else to_utc(self.occurred_at, "occurred_at")
        setter(self, "observed_at", observed)
        setter(self, "occurred_at", occurred)
        setter(self, "id", _validate_id(self.id))

    def __hash__(self) -> int:
        """Equal events have equal names, ids and timestamps; payloads are not hashed,
        since a dict cannot be."""
        return hash((self.name, self.id, self.occurred_at, self.observed_at))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict (datetimes as ISO 8601 strings); see
        :meth:`from_dict` and the typed events guide for its shape."""
        return {
            "id": self.id,
            "name": self.name,
            "payload": self.payload,
            "metadata": self.metadata,
            "occurred_at": self.occurred_at.isoformat(),
            "observed_at": self.observed_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NewEvent:
        """The event :meth:`to_dict` made; validated like any new event.

        ``id``, ``metadata``, ``occurred_at`` and ``observed_at`` may be left out.
        """
        data = _mapping(data, "event")
        unknown = set(data) - set(_NEW_EVENT_KEYS)
        if unknown:
            raise ValidationError("event", f"unknown keys {sorted(unknown)}")
        moments = {
            key: _moment_of(data, key) for key in ("occurred_at", "observed_at") if key in data
        }
        return cls(
            name=data.get("name"),  # type: ignore[arg-type]
            payload=data.get("payload", {}),
            metadata=data.get("metadata", {}),
            id=data.get("id"),
            **moments,
        )


_NEW_EVENT_KEYS = ("id", "name", "payload", "metadata", "occurred_at", "observed_at")


class JsonText:
    """JSON text an adapter read from its store, given as a :class:`StoredEvent`'s
    payload or metadata so that it is decoded only when first used.

    The text must be what :func:`~tidings.adapters.encode_json` wrote (or equivalent
    JSON); it is trusted, like every other column of a stored row.
    """

    __slots__ = ("text",)

    def __init__(self, text: str | bytes) -> None:
        self.text = text if isinstance(text, str) else text.decode()

    def __repr__(self) -> str:
        return f"JsonText({self.text!r})"


_UNDECODED: Any = object()
_SHARED: Any = object()
"""The value of a field whose event is shared by every reader (an in-memory store's
own events): it decodes afresh on every access and never keeps what it decoded, so no
reader can change what another reads."""


class _LazyJson:
    """A field that holds JSON text and decodes it on first access (once per event).

    Set with a :class:`JsonText`, it keeps the text; set with a value, it keeps the
    value and encodes it only if its text is asked for. It reads and writes two slots
    of the event through their descriptors' bound methods, bound once at install time:
    this sits on the path of every read and every publish.
    """

    __slots__ = ("get_text", "get_value", "set_text", "set_value")

    def __init__(self, value_slot: Any, text_slot: Any) -> None:
        self.get_value: Callable[[Any], Any] = value_slot.__get__
        self.set_value: Callable[[Any, Any], None] = value_slot.__set__
        self.get_text: Callable[[Any], str | None] = text_slot.__get__
        self.set_text: Callable[[Any, str | None], None] = text_slot.__set__

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.get_value(instance)
        if value is _UNDECODED:
            value = decode_json(self.get_text(instance))  # type: ignore[arg-type]
            self.set_value(instance, value)
        elif value is _SHARED:
            return decode_json(self.get_text(instance))  # type: ignore[arg-type]
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        if type(value) is JsonText:
            self.set_text(instance, value.text)
            self.set_value(instance, _UNDECODED)
        else:
            self.set_text(instance, None)
            self.set_value(instance, value)

    def text(self, instance: Any) -> str:
        text = self.get_text(instance)
        if text is None:
            text = encode_json(self.get_value(instance))
            self.set_text(instance, text)
        return text

    def raw(self, instance: Any) -> Any:
        """The value if decoded, else the :class:`JsonText` (for copies and pickles)."""
        value = self.get_value(instance)
        if value is _UNDECODED or value is _SHARED:
            return JsonText(self.get_text(instance))  # type: ignore[arg-type]
        return value


@dataclass(frozen=True, kw_only=True, eq=False)
class StoredEvent:
    """An event as the store holds it: a :class:`NewEvent` plus where and when it was stored.

    Adapters build these from trusted rows, so construction does not re-validate. An
    adapter may pass the stored JSON text as :class:`JsonText`: ``payload`` and
    ``metadata`` then decode on first access. Events compare by value, are hashable (by
    id and sequence number) and pickle with their text.
    """

    __slots__ = (
        "_metadata",
        "_metadata_text",
        "_payload",
        "_payload_text",
        "category",
        "id",
        "name",
        "observed_at",
        "occurred_at",
        "position",
        "recorded_at",
        "sequence_number",
        "stream",
    )

    id: str
    name: str
    category: str
    stream: str
    position: int
    sequence_number: int
    payload: JsonValue  # a _LazyJson descriptor, installed below (no default, so required)
    metadata: JsonValue
    occurred_at: datetime
    observed_at: datetime
    recorded_at: datetime

    _fields: ClassVar[tuple[str, ...]] = (
        "id",
        "name",
        "category",
        "stream",
        "position",
        "sequence_number",
        "payload",
        "metadata",
        "occurred_at",
        "observed_at",
        "recorded_at",
    )

    @property
    def identifier(self) -> StreamIdentifier:
        """The stream this event belongs to."""
        return StreamIdentifier(self.category, self.stream)

    @property
    def payload_json(self) -> str:
        """The payload as JSON text (the stored text itself when read from a store)."""
        return _PAYLOAD.text(self)

    @property
    def metadata_json(self) -> str:
        """The metadata as JSON text (the stored text itself when read from a store)."""
        return _METADATA.text(self)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, StoredEvent)
        if (
            self.id != other.id
            or self.sequence_number != other.sequence_number
            or self.position != other.position
            or self.name != other.name
            or self.category != other.category
            or self.stream != other.stream
            or self.occurred_at != other.occurred_at
            or self.observed_at != other.observed_at
            or self.recorded_at != other.recorded_at
        ):
            return False
        return _same_json(_PAYLOAD, self, other) and _same_json(_METADATA, self, other)

    def __hash__(self) -> int:
        """Equal events have equal ids and sequence numbers; payloads are not hashed,
        since a dict cannot be."""
        return hash((self.id, self.sequence_number))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickles carry the stored text of any field not yet decoded."""
        return _rebuild, tuple(self._raw_values())

    def _raw_values(self) -> list[Any]:
        return [
            _PAYLOAD.raw(self)
            if name == "payload"
            else _METADATA.raw(self)
            if name == "metadata"
            else getattr(self, name)
            for name in self._fields
        ]

    def detached(self) -> StoredEvent:
        """An equal event that shares no decoded payload or metadata with this one: a
        fresh copy that decodes from the same stored text."""
        return _rebuild(
            *(
                JsonText(_PAYLOAD.text(self))
                if name == "payload"
                else JsonText(_METADATA.text(self))
                if name == "metadata"
                else value
                for name, value in zip(self._fields, self._raw_values())
            )
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict, with datetimes as ISO 8601 strings; see :meth:`from_dict`."""
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "stream": self.stream,
            "position": self.position,
            "sequence_number": self.sequence_number,
            "payload": self.payload,
            "metadata": self.metadata,
            "occurred_at": self.occurred_at.isoformat(),
            "observed_at": self.observed_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoredEvent:
        """The event :meth:`to_dict` made, checked field by field (every key is required)."""
        data = _mapping(data, "event")
        keys = set(data)
        if keys != set(cls._fields):
            missing, unknown = set(cls._fields) - keys, keys - set(cls._fields)
            raise ValidationError(
                "event",
                f"missing keys {sorted(missing)}" if missing else f"unknown keys {sorted(unknown)}",
            )
        for key in ("id", "name", "category", "stream"):
            if not isinstance(data[key], str) or not data[key]:
                raise ValidationError(key, f"must be a non-empty str, got {data[key]!r}")
        for key in ("position", "sequence_number"):
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(key, f"must be an int >= 0, got {value!r}")
        return cls(
            id=data["id"],
            name=data["name"],
            category=data["category"],
            stream=data["stream"],
            position=data["position"],
            sequence_number=data["sequence_number"],
            payload=normalise_json(data["payload"], "payload"),
            metadata=normalise_json(data["metadata"], "metadata"),
            occurred_at=_moment_of(data, "occurred_at"),
            observed_at=_moment_of(data, "observed_at"),
            recorded_at=_moment_of(data, "recorded_at"),
        )


def _install(field: str) -> _LazyJson:
    """Put the lazy field ``field`` on StoredEvent, after the dataclass is made: its
    generated ``__init__`` then sets the field through the descriptor."""
    descriptor = _LazyJson(
        StoredEvent.__dict__[f"_{field}"], StoredEvent.__dict__[f"_{field}_text"]
    )
    setattr(StoredEvent, field, descriptor)
    return descriptor


_PAYLOAD = _install("payload")
_METADATA = _install("metadata")


_new = object.__new__
_set_id, _set_name, _set_category, _set_stream = (
    StoredEvent.__dict__[name].__set__ for name in ("id", "name", "category", "stream")
)
_set_position, _set_sequence_number = (
    StoredEvent.__dict__[name].__set__ for name in ("position", "sequence_number")
)
_set_payload, _set_payload_text, _set_metadata, _set_metadata_text = (
    StoredEvent.__dict__[name].__set__
    for name in ("_payload", "_payload_text", "_metadata", "_metadata_text")
)
_set_occurred_at, _set_observed_at, _set_recorded_at = (
    StoredEvent.__dict__[name].__set__ for name in ("occurred_at", "observed_at", "recorded_at")
)


def stored_event_from_json(
    id: str,
    name: str,
    category: str,
    stream: str,
    position: int,
    sequence_number: int,
    payload_json: str,
    metadata_json: str,
    occurred_at: datetime,
    observed_at: datetime,
    recorded_at: datetime,
) -> StoredEvent:
    """The event a trusted row stores, its payload and metadata left as JSON text until
    first used: the fast path of every adapter's reads (no argument is checked).

    Its slots are set directly: the frozen dataclass's ``__init__`` and the lazy
    fields' descriptors cost several times more, per event, than this."""
    event = _new(StoredEvent)
    _set_id(event, id)
    _set_name(event, name)
    _set_category(event, category)
    _set_stream(event, stream)
    _set_position(event, position)
    _set_sequence_number(event, sequence_number)
    _set_payload(event, _UNDECODED)
    _set_payload_text(event, payload_json)
    _set_metadata(event, _UNDECODED)
    _set_metadata_text(event, metadata_json)
    _set_occurred_at(event, occurred_at)
    _set_observed_at(event, observed_at)
    _set_recorded_at(event, recorded_at)
    return event


def stored_event_from_new(
    event: NewEvent,
    id: str,
    category: str,
    stream: str,
    position: int,
    sequence_number: int,
    recorded_at: datetime,
) -> StoredEvent:
    """The stored form of a validated :class:`NewEvent`: the fast path of every publish
    (no argument is checked; the JSON text is made only when first asked for)."""
    stored = stored_event_from_json(
        id,
        event.name,
        category,
        stream,
        position,
        sequence_number,
        None,  # type: ignore[arg-type]  # no text yet: made from the value when asked for
        None,  # type: ignore[arg-type]
        event.occurred_at,
        event.observed_at,
        recorded_at,
    )
    _set_payload(stored, event.payload)
    _set_metadata(stored, event.metadata)
    return stored


def shared_stored_event(event: StoredEvent) -> StoredEvent:
    """An equal event that can be handed to every reader as it is: its payload and
    metadata are JSON text that decode afresh on each access, and are never cached, so
    what one reader decodes (and perhaps mutates) no other reader sees. An in-memory
    store keeps these and serves them without copying."""
    shared = stored_event_from_json(
        event.id,
        event.name,
        event.category,
        event.stream,
        event.position,
        event.sequence_number,
        _PAYLOAD.text(event),
        _METADATA.text(event),
        event.occurred_at,
        event.observed_at,
        event.recorded_at,
    )
    _set_payload(shared, _SHARED)
    _set_metadata(shared, _SHARED)
    return shared


def _same_json(field: _LazyJson, one: StoredEvent, other: StoredEvent) -> bool:
    """Equal texts mean equal values, with nothing decoded; otherwise compare values
    (different texts can still be equal JSON, such as keys in another order)."""
    texts = field.get_text(one), field.get_text(other)
    if texts[0] is not None and texts[0] == texts[1]:
        return True
    return bool(field.__get__(one) == field.__get__(other))


def _rebuild(*values: Any) -> StoredEvent:
    return StoredEvent(**dict(zip(StoredEvent._fields, values)))
