"""The adapter API: everything a storage adapter needs, and nothing an application does.

Application code imports :mod:`tidings`; adapter packages import this module (and their
driver), never a private ``tidings._*`` module. It holds:

- the protocols: :class:`StorageAdapter` and :class:`AsyncStorageAdapter`, their
  projection storage, the requests they receive and the capabilities they declare;
- the bridges that give a sync adapter its async face;
- registration: :data:`hookimpl` and :class:`AdapterRegistrar` for the plugin module;
- the shared, I/O-free steps: retry matching, building stored events, event ids, JSON,
  projection rows, the query evaluator and SQL compiler, and sans-IO plan drivers;
- the compare-and-set path: :class:`OptimisticAdapter` (and its async twin) for
  backends that cannot run Python in their atomic step;
- the value model and the errors an adapter returns and raises.

See ``docs/adapters.md`` for the protocol reference and the publish algorithm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, overload

from tidings._model.checkpoint import Checkpoint
from tidings._model.conditions import (
    AllOf,
    AnyOf,
    NoCondition,
    PositionIs,
    StreamExists,
    StreamIsEmpty,
    WriteCondition,
)
from tidings._model.events import (
    JsonText,
    NewEvent,
    StoredEvent,
    shared_stored_event,
    stored_event_from_json,
)
from tidings._model.identifiers import (
    CategoryIdentifier,
    Identifier,
    LogIdentifier,
    ScopeKind,
    StreamIdentifier,
)
from tidings._model.jsonvalues import JsonValue, decode_json, encode_json, normalise_json
from tidings._model.projection import Projection
from tidings._plugins.hookspecs import AdapterRegistrar, hookimpl
from tidings._plugins.registry import AdapterInfo, Registry, default_registry
from tidings._plugins.url import URL
from tidings._protocol.adapter import ProjectionStorage, StorageAdapter
from tidings._protocol.async_adapter import AsyncProjectionStorage, AsyncStorageAdapter
from tidings._protocol.async_plan_runner import arun
from tidings._protocol.bridges import DirectBridge, ThreadBridge
from tidings._protocol.capabilities import Capability, Ordering
from tidings._protocol.optimistic import (
    Append,
    AsyncOptimisticAdapter,
    Backoff,
    Commit,
    Heads,
    OptimisticAdapter,
    ReadHeads,
    optimistic_publish,
)
from tidings._protocol.options import NoOptions
from tidings._protocol.plan_runner import run
from tidings._protocol.plans import Driver
from tidings._protocol.projection_rows import (
    PROJECTION_COLUMNS,
    ExpectedRow,
    ProjectionRow,
    decode_source,
    encode_source,
    projection_from_row,
    projection_to_row,
)
from tidings._protocol.publishing import (
    assign_ids,
    build_stored_events,
    holds_at_position,
    match_retry,
    new_event_ids,
    stored_batch,
)
from tidings._protocol.requests import FollowPage, FollowRequest, ScanRequest, StreamBatch
from tidings._protocol.statistics import StoreStatistics
from tidings._query.evaluate import evaluate_query, sort_key
from tidings._query.model import Filter, Operator, Path, Query, Sort
from tidings._query.sql import Dialect, Fragment, compile_order, compile_where
from tidings.errors import (
    ConfigurationError,
    DuplicateEventIdError,
    OutcomeUnknownError,
    StorageError,
    StoreBusyError,
    StoreClosedError,
    TidingsError,
    UnknownOptionError,
    UnmetWriteConditionError,
    UnsupportedCapabilityError,
    ValidationError,
)

if TYPE_CHECKING:
    from tidings._api.async_store import AsyncEventStore  # on use: adapters.py stays light
    from tidings._api.store import EventStore

__all__ = [
    "PROJECTION_COLUMNS",
    "URL",
    "AdapterInfo",
    "AdapterRegistrar",
    "AllOf",
    "AnyOf",
    "Append",
    "AsyncOptimisticAdapter",
    "AsyncProjectionStorage",
    "AsyncStorageAdapter",
    "Backoff",
    "Capability",
    "CategoryIdentifier",
    "Checkpoint",
    "Commit",
    "ConfigurationError",
    "Dialect",
    "DirectBridge",
    "Driver",
    "DuplicateEventIdError",
    "ExpectedRow",
    "Filter",
    "FollowPage",
    "FollowRequest",
    "Fragment",
    "Heads",
    "Identifier",
    "JsonText",
    "JsonValue",
    "LogIdentifier",
    "NewEvent",
    "NoCondition",
    "NoOptions",
    "Operator",
    "OptimisticAdapter",
    "Ordering",
    "OutcomeUnknownError",
    "Path",
    "PositionIs",
    "Projection",
    "ProjectionRow",
    "ProjectionStorage",
    "Query",
    "ReadHeads",
    "Registry",
    "ScanRequest",
    "ScopeKind",
    "Sort",
    "StorageAdapter",
    "StorageError",
    "StoreBusyError",
    "StoreClosedError",
    "StoreStatistics",
    "StoredEvent",
    "StreamBatch",
    "StreamExists",
    "StreamIdentifier",
    "StreamIsEmpty",
    "ThreadBridge",
    "TidingsError",
    "UnknownOptionError",
    "UnmetWriteConditionError",
    "UnsupportedCapabilityError",
    "ValidationError",
    "WriteCondition",
    "arun",
    "assign_ids",
    "build_stored_events",
    "compile_order",
    "compile_where",
    "decode_json",
    "decode_source",
    "default_registry",
    "encode_json",
    "encode_source",
    "evaluate_query",
    "holds_at_position",
    "hookimpl",
    "match_retry",
    "new_event_ids",
    "normalise_json",
    "optimistic_publish",
    "projection_from_row",
    "projection_to_row",
    "run",
    "shared_stored_event",
    "sort_key",
    "store_over",
    "stored_batch",
    "stored_event_from_json",
]


@overload
def store_over(adapter: AsyncStorageAdapter) -> AsyncEventStore: ...
@overload
def store_over(adapter: StorageAdapter) -> EventStore: ...
def store_over(adapter: StorageAdapter | AsyncStorageAdapter) -> EventStore | AsyncEventStore:
    """The application's store over an adapter that the adapter package built itself,
    for entry points other than a config string (PostgreSQL's ``from_pool`` and ``bind``,
    over the application's own pool or connection): an :class:`~tidings.EventStore` for a
    sync adapter, an :class:`~tidings.AsyncEventStore` for an async one."""
    from tidings._api.async_store import AsyncEventStore  # on use: adapters.py stays light
    from tidings._api.store import EventStore

    if isinstance(adapter, AsyncStorageAdapter):
        return AsyncEventStore(adapter)
    return EventStore(adapter)
