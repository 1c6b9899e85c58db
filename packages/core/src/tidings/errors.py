"""The error hierarchy: every error tidings raises derives from :class:`TidingsError`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class _Stream(Protocol):
    """What an error needs of a stream's identifier (the errors depend on nothing else,
    so every module can raise them)."""

    @property
    def category(self) -> str: ...

    @property
    def stream(self) -> str: ...


__all__ = [
    "AdapterImportError",
    "ConfigurationError",
    "DuplicateEventIdError",
    "EventDecodingError",
    "InvalidURLError",
    "MissingHandlerError",
    "OutcomeUnknownError",
    "StorageError",
    "StoreBusyError",
    "StoreClosedError",
    "TidingsError",
    "UnknownAdapterError",
    "UnknownEventTypeError",
    "UnknownOptionError",
    "UnsupportedCapabilityError",
    "UnmetWriteConditionError",
    "ValidationError",
]


class TidingsError(Exception):
    """Base class of every error raised by tidings and its adapters."""


class ValidationError(TidingsError, ValueError):
    """Input was rejected before any I/O; ``field`` names the offending field."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class UnmetWriteConditionError(TidingsError):
    """A write condition did not hold, so nothing was written."""

    def __init__(self, stream: _Stream, expected: str, found: str) -> None:
        self.stream = stream
        self.expected = expected
        self.found = found
        super().__init__(
            f"write condition not met for stream {stream.category!r}/{stream.stream!r}: "
            f"expected {expected}, found {found}"
        )


class DuplicateEventIdError(TidingsError):
    """An event id is already used by another stored event, so nothing was written."""

    def __init__(self, event_id: str, stream: _Stream) -> None:
        self.event_id = event_id
        self.stream = stream
        super().__init__(
            f"event id {event_id!r} is already stored; the batch for stream "
            f"{stream.category!r}/{stream.stream!r} was not written"
        )


class StorageError(TidingsError):
    """The storage backend failed; the driver's exception is chained as the cause."""


class OutcomeUnknownError(StorageError):
    """A publish was sent, but the connection was lost (or stayed silent) before the
    answer came back, so the events may or may not be stored. Publishing the same events
    again with the same ids settles it without duplicates (contract rule 10):
    :func:`tidings.publish_with_retry` does exactly that."""


class StoreBusyError(StorageError):
    """The store stayed locked by another writer for longer than the configured timeout."""


class UnsupportedCapabilityError(TidingsError):
    """The adapter does not offer what was asked of it, such as projection storage."""


class StoreClosedError(TidingsError):
    """The store was used after ``close()``."""


class MissingHandlerError(TidingsError, LookupError):
    """A projector met an event it has no handler for."""

    def __init__(self, event_name: str, projector: str) -> None:
        self.event_name = event_name
        super().__init__(
            f"projector {projector!r} has no handler for event {event_name!r}; "
            "add one, or pass on_missing='ignore'"
        )


class UnknownEventTypeError(TidingsError, LookupError):
    """A typed read met an event name with no registered type (and its policy is to
    raise), or a type was used that no registry knows."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        super().__init__(f"event type {name!r}: {reason}")


class EventDecodingError(TidingsError, ValueError):
    """A stored event could not become its registered type: its schema version has no
    upcaster chain, an upcaster failed, or the upcast payload is invalid for the type.
    The stored event itself is never changed."""

    def __init__(self, event_id: str, name: str, version: int, reason: str) -> None:
        self.event_id = event_id
        self.name = name
        self.version = version
        self.reason = reason
        super().__init__(f"event {event_id!r} ({name!r} version {version}): {reason}")


class ConfigurationError(TidingsError, ValueError):
    """A config string, an option or an adapter registration is wrong."""


class InvalidURLError(ConfigurationError):
    """A config string could not be parsed."""


class UnknownOptionError(ConfigurationError):
    """An adapter option is not one the adapter accepts."""

    def __init__(self, scheme: str, unknown: Iterable[str], accepted: Iterable[str]) -> None:
        self.unknown = sorted(unknown)
        self.accepted = sorted(accepted)
        listed = ", ".join(self.accepted) or "none"
        super().__init__(
            f"unknown option(s) for {scheme}://: {', '.join(self.unknown)}; "
            f"accepted options: {listed}"
        )


class UnknownAdapterError(ConfigurationError):
    """No installed adapter serves the scheme."""


class AdapterImportError(ConfigurationError):
    """An adapter is installed but failed to import; the import error is the cause."""
