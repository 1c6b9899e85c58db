"""tidings: an event store for event-sourced Python applications.

Open a store with :func:`connect` (or ``await connect_async``) and a config string, then
publish to and read from its stream, category and log scopes. This namespace is the
application API; what an adapter author needs lives in :mod:`tidings.adapters`.
"""

from __future__ import annotations

from tidings._api.arguments import Batch
from tidings._api.async_consumer import AsyncConsumer, AsyncProjectionConsumer
from tidings._api.async_group import AsyncGroupMember
from tidings._api.async_projection_store import AsyncProjectionStore
from tidings._api.async_retrying import publish_with_retry_async
from tidings._api.async_store import (
    AsyncCategoryScope,
    AsyncEventStore,
    AsyncLogScope,
    AsyncScope,
    AsyncStreamScope,
)
from tidings._api.async_subscription import AsyncSubscription, AsyncTypedSubscription
from tidings._api.async_worker import run_worker_async
from tidings._api.connection import connect, connect_async
from tidings._api.consumer import Consumer, ProjectionConsumer
from tidings._api.consuming import RetryPolicy
from tidings._api.group import GroupMember
from tidings._api.projection_plan import SnapshotPolicy
from tidings._api.projection_store import ProjectionStore
from tidings._api.retrying import publish_with_retry, with_ids
from tidings._api.statuses import ConsumerStatus, PartitionStatus
from tidings._api.store import CategoryScope, EventStore, LogScope, Scope, StreamScope
from tidings._api.subscription import Subscription, TypedSubscription
from tidings._api.worker import run_worker
from tidings._api.worker_logging import JsonLogFormatter
from tidings._model.checkpoint import Checkpoint
from tidings._model.clock import Clock, FixedClock, SystemClock, using_clock
from tidings._model.conditions import (
    NoCondition,
    WriteCondition,
    position_is,
    stream_exists,
    stream_is_empty,
)
from tidings._model.events import NewEvent, StoredEvent
from tidings._model.identifiers import (
    CategoryIdentifier,
    Identifier,
    LogIdentifier,
    StreamIdentifier,
)
from tidings._model.projection import Projection, Projector
from tidings._model.state import State
from tidings._plugins.registry import AdapterInfo, PluginNameWarning, default_registry
from tidings._plugins.url import URL, make_url
from tidings._protocol.capabilities import Capability, Ordering
from tidings._query.model import Cursor, Filter, Page, Query, Sort, field
from tidings._typed.registry import EventTypes, TypedEvent, default_event_types, event_type
from tidings.errors import (
    AdapterImportError,
    ConfigurationError,
    DuplicateEventIdError,
    EventDecodingError,
    InvalidURLError,
    MissingHandlerError,
    OutcomeUnknownError,
    StorageError,
    StoreBusyError,
    StoreClosedError,
    TidingsError,
    UnknownAdapterError,
    UnknownEventTypeError,
    UnknownOptionError,
    UnmetWriteConditionError,
    UnsupportedCapabilityError,
    ValidationError,
)

__all__ = [
    "URL",
    "AdapterImportError",
    "AdapterInfo",
    "AsyncCategoryScope",
    "AsyncConsumer",
    "AsyncEventStore",
    "AsyncGroupMember",
    "AsyncLogScope",
    "AsyncProjectionConsumer",
    "AsyncProjectionStore",
    "AsyncScope",
    "AsyncStreamScope",
    "AsyncSubscription",
    "AsyncTypedSubscription",
    "Batch",
    "Capability",
    "CategoryIdentifier",
    "CategoryScope",
    "Checkpoint",
    "Clock",
    "ConfigurationError",
    "Consumer",
    "ConsumerStatus",
    "Cursor",
    "DuplicateEventIdError",
    "EventDecodingError",
    "EventStore",
    "EventTypes",
    "Filter",
    "FixedClock",
    "GroupMember",
    "Identifier",
    "InvalidURLError",
    "JsonLogFormatter",
    "LogIdentifier",
    "LogScope",
    "MissingHandlerError",
    "NewEvent",
    "NoCondition",
    "Ordering",
    "OutcomeUnknownError",
    "Page",
    "PartitionStatus",
    "PluginNameWarning",
    "Projection",
    "ProjectionConsumer",
    "ProjectionStore",
    "Projector",
    "Query",
    "RetryPolicy",
    "Scope",
    "SnapshotPolicy",
    "Sort",
    "State",
    "StorageError",
    "StoreBusyError",
    "StoreClosedError",
    "StoredEvent",
    "StreamIdentifier",
    "StreamScope",
    "Subscription",
    "SystemClock",
    "TidingsError",
    "TypedEvent",
    "TypedSubscription",
    "UnknownAdapterError",
    "UnknownEventTypeError",
    "UnknownOptionError",
    "UnmetWriteConditionError",
    "UnsupportedCapabilityError",
    "ValidationError",
    "WriteCondition",
    "connect",
    "connect_async",
    "default_event_types",
    "event_type",
    "field",
    "list_adapters",
    "make_url",
    "position_is",
    "publish_with_retry",
    "publish_with_retry_async",
    "run_worker",
    "run_worker_async",
    "stream_exists",
    "stream_is_empty",
    "using_clock",
    "with_ids",
]


def list_adapters() -> list[AdapterInfo]:
    """The installed adapters: scheme, aliases, distribution, version and capabilities."""
    return default_registry().adapters()
