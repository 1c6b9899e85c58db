"""tidings: an event store for event-sourced Python applications.

Open a store with :func:`connect` and a config string, then publish to and read from
its stream, category and log scopes.
"""

from __future__ import annotations

from tidings._protocol.adapter import (
    Capability,
    NoOptions,
    Ordering,
    ProjectionStorage,
    ScanRequest,
    StorageAdapter,
)
from tidings._protocol.async_adapter import (
    AsyncProjectionStorage,
    AsyncStorageAdapter,
    DirectBridge,
    ThreadBridge,
)
from tidings._api.async_store import (
    AsyncCategoryScope,
    AsyncEventStore,
    AsyncLogScope,
    AsyncScope,
    AsyncStreamScope,
)
from tidings._model.clock import Clock, FixedClock, SystemClock, using_clock
from tidings._model.conditions import (
    NoCondition,
    WriteCondition,
    position_is,
    stream_exists,
    stream_is_empty,
)
from tidings._api.connection import connect, connect_async
from tidings.errors import (
    AdapterImportError,
    ConfigurationError,
    DuplicateEventIdError,
    InvalidURLError,
    MissingHandlerError,
    StorageError,
    StoreBusyError,
    StoreClosedError,
    TidingsError,
    UnknownAdapterError,
    UnknownOptionError,
    UnmetWriteConditionError,
    UnsupportedCapabilityError,
    ValidationError,
)
from tidings._model.events import NewEvent, StoredEvent
from tidings._model.identifiers import CategoryIdentifier, Identifier, LogIdentifier, StreamIdentifier
from tidings._model.projection import Projection, Projector
from tidings._api.projection_store import AsyncProjectionStore, ProjectionStore, SnapshotPolicy
from tidings._protocol.publishing import StreamBatch
from tidings._query import Cursor, Filter, Page, Query, Sort, field
from tidings._plugins.registry import AdapterInfo, Registry, default_registry
from tidings._model.state import State
from tidings._api.store import Batch, CategoryScope, EventStore, LogScope, Scope, StreamScope
from tidings._plugins.url import URL, make_url

__all__ = [
    "URL",
    "AdapterImportError",
    "AdapterInfo",
    "AsyncCategoryScope",
    "AsyncEventStore",
    "AsyncLogScope",
    "AsyncProjectionStorage",
    "AsyncProjectionStore",
    "AsyncScope",
    "AsyncStorageAdapter",
    "AsyncStreamScope",
    "DirectBridge",
    "ThreadBridge",
    "Batch",
    "Capability",
    "CategoryIdentifier",
    "CategoryScope",
    "Clock",
    "ConfigurationError",
    "DuplicateEventIdError",
    "EventStore",
    "FixedClock",
    "Identifier",
    "InvalidURLError",
    "LogIdentifier",
    "LogScope",
    "MissingHandlerError",
    "NewEvent",
    "NoCondition",
    "NoOptions",
    "Ordering",
    "Cursor",
    "Filter",
    "Page",
    "Projection",
    "ProjectionStorage",
    "ProjectionStore",
    "Query",
    "SnapshotPolicy",
    "Sort",
    "UnsupportedCapabilityError",
    "field",
    "Projector",
    "Registry",
    "ScanRequest",
    "Scope",
    "State",
    "StorageAdapter",
    "StorageError",
    "StoreBusyError",
    "StoreClosedError",
    "StoredEvent",
    "StreamBatch",
    "StreamIdentifier",
    "StreamScope",
    "SystemClock",
    "TidingsError",
    "UnknownAdapterError",
    "UnknownOptionError",
    "UnmetWriteConditionError",
    "ValidationError",
    "WriteCondition",
    "connect",
    "connect_async",
    "default_registry",
    "list_adapters",
    "make_url",
    "position_is",
    "stream_exists",
    "stream_is_empty",
    "using_clock",
]


def list_adapters() -> list[AdapterInfo]:
    """The installed adapters: scheme, aliases, distribution and version."""
    return default_registry().adapters()
