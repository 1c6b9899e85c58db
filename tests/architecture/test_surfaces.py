"""The two public surfaces, pinned: a name added to or dropped from either ``__all__``
is a decision to make on purpose (and to record in the CHANGELOG), not an accident."""

from __future__ import annotations

import tidings
import tidings.adapters

APPLICATION_API = [
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
    "Batch",
    "Capability",
    "CategoryIdentifier",
    "CategoryScope",
    "Checkpoint",
    "Clock",
    "ConfigurationError",
    "Consumer",
    "Cursor",
    "DuplicateEventIdError",
    "EventStore",
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
    "Page",
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
    "UnknownAdapterError",
    "UnknownOptionError",
    "UnmetWriteConditionError",
    "UnsupportedCapabilityError",
    "ValidationError",
    "WriteCondition",
    "connect",
    "connect_async",
    "field",
    "list_adapters",
    "make_url",
    "position_is",
    "run_worker",
    "run_worker_async",
    "stream_exists",
    "stream_is_empty",
    "using_clock",
]
"""``import tidings``: what application code uses."""

ADAPTER_API = [
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
    "sort_key",
    "stored_batch",
    "stored_event_from_json",
]
"""``import tidings.adapters``: what an adapter needs."""


def _isort_order(names: list[str]) -> list[str]:
    """Constants, then classes, then functions, each alphabetical (ruff's order)."""
    return sorted(names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))


def test_the_application_api_is_pinned_and_sorted() -> None:
    assert list(tidings.__all__) == APPLICATION_API
    assert _isort_order(APPLICATION_API) == APPLICATION_API


def test_the_adapter_api_is_pinned_and_sorted() -> None:
    assert list(tidings.adapters.__all__) == ADAPTER_API
    assert _isort_order(ADAPTER_API) == ADAPTER_API


def test_every_public_name_exists() -> None:
    for module, names in ((tidings, APPLICATION_API), (tidings.adapters, ADAPTER_API)):
        missing = [name for name in names if not hasattr(module, name)]
        assert missing == []


def test_adapter_internals_are_not_in_the_application_api() -> None:
    internals = {
        "ScanRequest",
        "StreamBatch",
        "ThreadBridge",
        "DirectBridge",
        "NoOptions",
        "StorageAdapter",
        "AsyncStorageAdapter",
        "FollowRequest",
        "Registry",
    }
    assert internals & set(APPLICATION_API) == set()
