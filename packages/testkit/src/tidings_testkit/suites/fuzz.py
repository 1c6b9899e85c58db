"""Contract §4 under hostile input: random calls at every public entry point.

Every exception a call provokes must be a :class:`~tidings.TidingsError` (a
``ValidationError`` or ``ConfigurationError`` that names what is wrong), or the
``TypeError`` the contract documents for composing a condition with a non-condition.
Valid calls must work: a valid event reads back equal, valid scan arguments return
exactly the events a plain filter of the log gives, and a valid condition holds exactly
when the stream is as it says. A password in a config string never shows in an error or
a ``repr``, and nothing a caller mutates after a call changes the store.

``connect`` is fuzzed through a :class:`~tidings.adapters.Registry` whose entry for the
store's scheme has the adapter's real options type but stops where the adapter would
open anything: config strings and options are checked before any I/O, and a fuzzer
must not create files or dial hosts.
"""

from __future__ import annotations

import copy
import enum
import itertools
import logging
import re
import string
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar, NoReturn

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidings import (
    Capability,
    ConfigurationError,
    EventStore,
    NewEvent,
    Projection,
    Scope,
    StoredEvent,
    TidingsError,
    UnmetWriteConditionError,
    ValidationError,
    WriteCondition,
    field,
    position_is,
    stream_exists,
    stream_is_empty,
)
from tidings.adapters import URL, Registry, StorageAdapter
from tidings_testkit.suite import AdapterSuite, requires

__all__ = ["FuzzSuite"]

MAX_COUNT = 2**63 - 1
"""The largest ``after``, ``limit`` and position the contract accepts (rules 8, 15)."""


def _fuzzing(examples: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Hypothesis settings for a test that reuses one store across its examples."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.differing_executors,  # one test method, run by each adapter class
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
        database=None,
    )


# Text: URL delimiters, look-alike digits, NUL and a lone surrogate, and anything else.
_TRICKY = st.sampled_from(
    list(":/@?#&=%+[]. -_~\x00\ud800\udc80\u00b2\u0661\u0662\u2028\u00e9\U0001f389") + list("0129")
)
_TEXT = st.text(st.one_of(_TRICKY, st.characters(exclude_categories=())), max_size=20)


def _digits(count: int) -> int:
    """An int of ``count`` digits. Ints beyond 4300 digits cannot be shown by ``repr``, so
    the strategies hold digit counts and build the ints when they draw them."""
    return int(10 ** (count - 1))


_BIG_INTS = st.sampled_from([MAX_COUNT, MAX_COUNT + 1, 2**64, -(2**63) - 1, 10**30])
_HUGE_INTS = st.one_of(_BIG_INTS, st.just(5001).map(_digits))


class _Small(enum.IntEnum):
    THREE = 3


_NOT_JSON = st.one_of(
    st.binary(max_size=3),
    st.sets(st.integers(0, 3), max_size=2),
    st.dates(),
    st.just(object()),
    st.just(float("nan")),
    st.just(float("-inf")),
    st.sampled_from([4301, 5001]).map(_digits),  # beyond 4300 digits
    st.just(4301).map(lambda count: -_digits(count)),
)
_JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    _BIG_INTS,
    st.just(4300).map(_digits),  # the most digits an int may have
    st.just(_Small.THREE),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)


_VALID_TEXT = st.text(
    st.one_of(_TRICKY, st.characters()).filter(
        lambda c: c != "\x00" and not "\ud800" <= c <= "\udfff"
    ),
    max_size=20,
)
"""Text that is a portable JSON string (rule 3): no NUL, no lone surrogate."""


def _json(
    leaves: st.SearchStrategy[Any], keys: st.SearchStrategy[str] = _TEXT
) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.tuples(children, children),
            st.dictionaries(keys, children, max_size=3),
        ),
        max_leaves=10,
    )


_VALID_JSON = _json(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        _VALID_TEXT,
    ),
    keys=_VALID_TEXT,
)
"""Portable JSON values (rule 3)."""


def _nested(depth: int, kind: str) -> Any:
    """A value with ``depth`` levels of lists (or dicts, or tuples) around a 0."""
    value: Any = 0
    for _ in range(depth):
        value = {"k": value} if kind == "dict" else (value,) if kind == "tuple" else [value]
    return value


def _cyclic(kind: str) -> Any:
    """A value that contains itself."""
    if kind == "list":
        loop: list[Any] = [1]
        loop.append(loop)
        return {"a": loop}
    if kind == "dict":
        node: dict[str, Any] = {}
        node["self"] = node
        return [node]
    inner: list[Any] = []
    outer = {"x": [inner]}
    inner.append(outer)
    return outer


_PAYLOADS = st.one_of(
    _json(_JSON_LEAVES),
    _json(st.one_of(_JSON_LEAVES, _NOT_JSON)),
    st.dictionaries(st.one_of(st.integers(), st.none(), _TEXT), st.integers(), max_size=2),
    st.builds(
        _nested,
        st.sampled_from([99, 100, 101, 500, 5000]),
        st.sampled_from(["list", "dict", "tuple"]),
    ),
    st.builds(_cyclic, st.sampled_from(["list", "dict", "deep"])),
)
_ZONES = st.one_of(
    st.just(UTC),
    st.builds(
        timezone, st.timedeltas(min_value=-timedelta(hours=23), max_value=timedelta(hours=23))
    ),
)
_TIMES = st.one_of(
    st.none(),
    st.datetimes(timezones=_ZONES),
    st.datetimes(),  # naive
    st.sampled_from(
        [
            datetime.max.replace(tzinfo=timezone(-timedelta(hours=5))),
            datetime.min.replace(tzinfo=timezone(timedelta(hours=5))),
            datetime.max.replace(tzinfo=UTC),
            datetime.min.replace(tzinfo=UTC),
        ]
    ),
    st.dates(),
    _TEXT,
    st.integers(),
)
_NAMES = st.one_of(
    _TEXT,
    st.text(min_size=250, max_size=260),
    st.integers(),
    st.none(),
    st.binary(max_size=3),
)
_COUNTS = st.one_of(
    st.none(),
    st.integers(min_value=-3, max_value=12),
    _HUGE_INTS,
    st.just(_Small.THREE),
    st.booleans(),
    st.floats(),
    _TEXT,
)
_NAME_FILTERS = st.one_of(
    st.none(),
    st.lists(st.sampled_from(["a", "b", "c", "zzz"]), max_size=3),
    st.frozensets(st.sampled_from(["a", "b"]), max_size=2),
    st.lists(_NAMES, max_size=2),
    st.sampled_from(["a", b"a"]),  # a single name, not a collection
    st.integers(),
    st.dictionaries(st.sampled_from(["a", "c"]), st.integers(), max_size=2),
)
_OPTION_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    _HUGE_INTS,
    st.floats(),
    st.sampled_from([1e300, -1e300, 3e6, 2_147_483.0, 2_147_484.0, 10**6, 10**6 + 1]),
    _TEXT,
    st.sampled_from(["nan", "inf", "-inf", "1e999", "1e300", "9" * 30, "9" * 5000, "-1", "0"]),
    st.sampled_from(["", "none", "true", "off", "\u0661\u0662", "\u00b2", "1_000", " 7 ", "rw"]),
    st.lists(st.integers(), max_size=2),
    st.binary(max_size=3),
)
_OPTION_TEXT = st.one_of(
    _TEXT,
    st.integers().map(str),
    st.floats().map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "1e300", "3e6", "9" * 30, "9" * 5000, "-1"]),
    st.sampled_from(
        ["", "none", "true", "off", "\u0661\u0662", "\u00b2", "1_000", " 7 ", "ro", "auto"]
    ),
)
"""Option values as a config string's query spells them."""
_PASSWORD_NOISE = st.text(st.sampled_from(list("/@:?#%&=+[] ab")), max_size=4)
_PASSWORD_SHAPES = [
    "{scheme}://user:{password}@host:1/db",
    "{scheme}://user:{password}@host:{port}/db",
    "{scheme}://user:{password}@host/db?{query}",
    "{scheme}://user:{password}@",
    "{scheme}://:{password}@host:{port}",
    "{scheme}://user:{password}@host:{port}/db?{query}",
    "{scheme}:/user:{password}@host/db",
    "{scheme}//user:{password}@host/db",
    "{scheme}+{driver}://user:{password}@host:{port}/db",
    "{scheme}://user:{password}@[::1:{port}/db",
    "{scheme}://user:{password}@host:{port}?a=1&a=2",
    "{scheme}://user@host/db?password={password}",
    "{scheme}://user@host/db?password={password}&{query}",
]


_SECRET_NAME = re.compile("pass|secret", re.IGNORECASE)
"""Query options whose values a config string hides, as it hides the password."""


class _Reached(Exception):
    """Raised by the probe adapter: the config string and options passed every check."""

    def __init__(self, url: URL, options: Any) -> None:
        super().__init__("reached the adapter")
        self.url = url
        self.options = options


def _settled(store: EventStore) -> EventStore:
    """``store`` once it has done a first read. A connection pool that fills itself in the
    background may draw from the global ``random`` (psycopg's pool jitters connection
    lifetimes) while Hypothesis generates examples, which Hypothesis rejects."""
    store.log().latest()
    return store


def _probe_registry(store: EventStore) -> tuple[Registry, str, type[Any]]:
    """A registry whose only adapter, for the store's scheme, has the store's options type
    and raises :class:`_Reached` where the real adapter would open a connection."""
    _settled(store)
    adapter = store.adapter
    inner = getattr(adapter, "adapter", adapter)  # the bridges wrap a sync adapter
    scheme = str(adapter.scheme)
    options = getattr(inner, "options_type", None) or type(adapter).options_type

    class Probe(StorageAdapter):
        options_type = options

        @classmethod
        def from_url(cls, url: URL, options: Any) -> NoReturn:
            raise _Reached(url, options)

        @classmethod
        def open_async(cls, url: URL, options: Any) -> NoReturn:
            raise _Reached(url, options)

        def publish(self, batches: Sequence[Any]) -> NoReturn:
            raise NotImplementedError

        def scan(self, request: Any) -> NoReturn:
            raise NotImplementedError

        def latest(self, target: Any) -> NoReturn:
            raise NotImplementedError

    Probe.scheme = scheme
    registry = Registry(load_entry_points=False)
    registry.register(scheme, Probe)
    return registry, scheme, options


def _option_names(options_type: type[Any]) -> list[str]:
    return list(getattr(options_type, "__dataclass_fields__", {}))


@contextmanager
def _log_lines() -> Iterator[list[str]]:
    """Every log line any logger emits in the block."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    root = logging.getLogger()
    handler, level = Collect(logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _raised(call: Callable[[], object]) -> BaseException | None:
    """The tidings error (or probe signal) ``call`` raised, or None. Any other exception
    propagates and fails the test: that is what the fuzzing looks for."""
    try:
        call()
    except (TidingsError, _Reached) as error:
        return error
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and its causes and contexts."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _vandalise(value: Any) -> None:
    """Mutate every list and dict reachable from ``value``, in place."""
    if isinstance(value, dict):
        for item in list(value.values()):
            _vandalise(item)
        value["vandal"] = True
    elif isinstance(value, list):
        for item in value:
            _vandalise(item)
        value.append("vandal")
    elif isinstance(value, Projection):
        _vandalise_mapping_state(value.state)


def _vandalise_mapping_state(state: Any) -> None:
    if isinstance(state, dict | list):
        _vandalise(state)
    elif hasattr(state, "values"):  # an immutable State: what it holds may not be
        for item in state.values():
            _vandalise(item)


def _as_stored(value: Any) -> Any:
    """A detached copy of a portable JSON value as a store gives it back: tuples as lists."""
    if isinstance(value, dict):
        return {key: _as_stored(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_stored(item) for item in value]
    return value


def _counts_ok(value: object) -> bool:
    return value is None or (
        isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT
    )


def _names_ok(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        return False
    return all(isinstance(name, str) and _name_ok(name) for name in value)


def _name_ok(name: str) -> bool:
    """Rule 2: 1 to 255 characters, no NUL and no surrogate."""
    return 0 < len(name) <= 255 and not any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in name)


class FuzzSuite(AdapterSuite):
    """Rules 18-19 (and 3, 4, 8, 15) under random, hostile input."""

    # Background threads of other stores (a pool reconnecting with jitter) may touch the
    # global random module while Hypothesis draws; its warning about that is not ours.
    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [
        pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
    ]

    fuzz_examples: ClassVar[int] = 40
    """Examples per fuzz test; the suite runs on every adapter and face, so keep it small."""

    # --- connect: config strings, options and passwords ---------------------------------

    def test_fuzzed_config_strings_are_accepted_or_rejected_with_configuration_errors(
        self, store: EventStore
    ) -> None:
        registry, scheme, options_type = _probe_registry(store)
        names = _option_names(options_type)
        keys = st.one_of(st.sampled_from(names or ["x"]), _TEXT)
        query = st.lists(st.tuples(keys, _OPTION_TEXT), max_size=3)
        shaped = st.builds(
            "{}{}{}{}{}{}{}".format,
            st.sampled_from([scheme, scheme.upper(), f"{scheme}+x", "nosuch", "1bad", ""]),
            st.sampled_from(["://", ":/", ":", "//", "://?"]),
            st.one_of(
                st.just(""), st.builds("{}:{}@".format, _TEXT, _TEXT), _TEXT.map("{}@".format)
            ),
            st.one_of(_TEXT, st.sampled_from(["localhost", "[::1]", "[::1", "127.0.0.1"])),
            st.one_of(
                st.just(""),
                st.one_of(st.integers(-5, 10**30).map(str), st.just("9" * 5000), _TEXT).map(
                    ":{}".format
                ),
            ),
            st.one_of(st.just(""), _TEXT.map("/{}".format)),
            query.map(lambda pairs: "?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else ""),
        )
        urls = st.one_of(shaped, _TEXT, st.integers(), st.binary(max_size=3), st.just(b"memory://"))

        @_fuzzing(self.fuzz_examples)
        @given(url=urls)
        def check(url: Any) -> None:
            error = _raised(lambda: self.connect(url, registry=registry))
            if isinstance(error, _Reached):
                assert error.url.scheme == scheme
            else:
                assert isinstance(error, ConfigurationError), error
                assert str(error)

        check()

    def test_fuzzed_options_are_accepted_or_rejected_with_configuration_errors(
        self, store: EventStore
    ) -> None:
        registry, scheme, options_type = _probe_registry(store)
        names = _option_names(options_type)
        keys = st.one_of(st.sampled_from(names), _TEXT) if names else _TEXT
        kwargs = st.dictionaries(
            keys.filter(lambda k: k not in {"self", "url", "registry"}), _OPTION_VALUES, max_size=3
        )
        query = st.dictionaries(keys, _OPTION_TEXT, max_size=3)

        @_fuzzing(self.fuzz_examples)
        @given(options=kwargs, query=query)
        def check(options: dict[str, Any], query: dict[str, str]) -> None:
            text = "&".join(f"{key}={value}" for key, value in query.items())
            url = f"{scheme}:///fuzz?{text}"
            error = _raised(lambda: self.connect(url, registry=registry, **options))
            if isinstance(error, _Reached):
                assert isinstance(error.options, options_type)
            else:
                assert isinstance(error, ConfigurationError), error
                assert str(error)

        check()

    def test_fuzzed_passwords_never_show_in_an_error_a_repr_or_a_log_line(
        self, store: EventStore
    ) -> None:
        registry, scheme, _ = _probe_registry(store)
        secrets = st.text(string.ascii_letters + string.digits, min_size=10, max_size=16)

        @_fuzzing(self.fuzz_examples)
        @given(
            shape=st.sampled_from(_PASSWORD_SHAPES),
            secret=secrets,
            before=_PASSWORD_NOISE,
            after=_PASSWORD_NOISE,
            port=st.sampled_from(["", "1", "0", "99999", "x", "9" * 40, "\u00b2"]),
            query=st.sampled_from(["", "a=1", "bogus=1", "a=1&a=2", "=", "%zz"]),
        )
        def check(shape: str, secret: str, before: str, after: str, port: str, query: str) -> None:
            secret = f"Pw{secret}"
            if "password={password}" in shape:
                # In a query value an unencoded "&" or "#" ends the value: what follows
                # is another option, or the fragment, and no reading can tell otherwise.
                before, after = (part.replace("&", "").replace("#", "") for part in (before, after))
            password = before + secret + after
            url = shape.format(scheme=scheme, password=password, port=port, query=query, driver="d")
            with _log_lines() as lines:
                error = _raised(lambda: self.connect(url, registry=registry))
            assert error is not None, "the probe adapter raises when it is reached"
            if isinstance(error, _Reached):
                # Parsed: where the grammar put the secret decides. As the password, or
                # the value of an option named like one, it must be hidden; in a path or
                # host (postgresql://u:/x@h: a path "/x@h") it is not a password there.
                parsed = error.url
                secrets = [parsed.password or ""]
                secrets += [v for k, v in parsed.query.items() if _SECRET_NAME.search(k)]
                hidden = any(secret in value for value in secrets)
                shown = [repr(error.options)] + ([str(parsed), repr(parsed)] if hidden else [])
            else:
                shown = [text for e in _chain(error) for text in (str(e), repr(e))]
            leaked = [text for text in [*shown, *lines] if secret in text]
            assert leaked == [], f"{url!r} shows its password in {leaked}"

        check()

    # --- events ---------------------------------------------------------------------------

    def test_fuzzed_new_events_are_stored_exactly_or_rejected_with_validation_errors(
        self, store: EventStore
    ) -> None:
        _settled(store)
        fields = {"name", "payload", "metadata", "occurred_at", "observed_at", "id"}
        counter = itertools.count()

        @_fuzzing(self.fuzz_examples)
        @given(
            name=st.one_of(st.just("happened"), _NAMES),
            payload=_PAYLOADS,
            metadata=st.one_of(st.just({}), _PAYLOADS),
            occurred_at=_TIMES,
            observed_at=_TIMES,
            id=st.one_of(st.none(), _NAMES),
        )
        def check(
            name: Any, payload: Any, metadata: Any, occurred_at: Any, observed_at: Any, id: Any
        ) -> None:
            if isinstance(id, str):
                id = f"{uuid.uuid4()}{id}"  # never an id stored by an earlier example
            made: list[NewEvent] = []
            error = _raised(
                lambda: made.append(
                    NewEvent(
                        name=name,
                        payload=payload,
                        metadata=metadata,
                        occurred_at=occurred_at,
                        observed_at=observed_at,
                        id=id,
                    )
                )
            )
            if error is not None:
                assert isinstance(error, ValidationError), error
                assert error.field.partition(".")[0].partition("[")[0] in fields, error
                return
            (event,) = made
            stream = store.stream(category="fuzz-events", stream=f"s{next(counter)}")
            published = stream.publish(events=[event])
            assert stream.read() == published
            assert store.log().latest() == published[0]

        check()

    # --- reading --------------------------------------------------------------------------

    def test_fuzzed_scan_arguments_are_served_exactly_or_rejected_with_validation_errors(
        self, store: EventStore
    ) -> None:
        _settled(store)
        for stream, names in (("s1", "abca"), ("s2", "bc")):
            store.stream(category="fuzz-reads", stream=stream).publish(
                events=[NewEvent(name=n) for n in names]
            )
        everything = store.log().read()

        @_fuzzing(self.fuzz_examples * 2)
        @given(
            scope=st.sampled_from(["log", "category", "stream", "other-stream"]),
            after=_COUNTS,
            limit=_COUNTS,
            names=_NAME_FILTERS,
            iterate=st.booleans(),
        )
        def check(scope: str, after: Any, limit: Any, names: Any, iterate: bool) -> None:
            target: Scope
            if scope == "log":
                target, wanted = store.log(), everything
            elif scope == "category":
                target, wanted = store.category(category="fuzz-reads"), everything
            else:
                stream = "s1" if scope == "stream" else "s2"
                target = store.stream(category="fuzz-reads", stream=stream)
                wanted = [e for e in everything if e.stream == stream]
            valid = _counts_ok(after) and _counts_ok(limit) and _names_ok(names)
            found: list[StoredEvent] = []
            if iterate:
                error = _raised(
                    lambda: found.extend(target.iterate(after=after, limit=limit, names=names))
                )
            else:
                error = _raised(
                    lambda: found.extend(target.read(after=after, limit=limit, names=names))
                )
            if error is not None:
                assert isinstance(error, ValidationError), error
                assert error.field in {"after", "limit", "names"}, error
                assert not valid, f"valid arguments rejected: {error}"
                return
            assert valid, "invalid arguments accepted"
            kept = [
                e
                for e in wanted
                if e.sequence_number > (after or 0) and (names is None or e.name in set(names))
            ]
            assert found == kept[: len(kept) if limit is None else limit]

        check()

    def test_fuzzed_conditions_hold_exactly_or_are_rejected(self, store: EventStore) -> None:
        _settled(store)
        counter = itertools.count()
        others = st.one_of(
            st.sampled_from([stream_is_empty(), stream_exists()]),
            st.builds(position_is, st.integers(0, 3)),
            st.sampled_from([None, 0, "x", True, object()]),
        )

        @_fuzzing(self.fuzz_examples)
        @given(
            stored=st.integers(0, 3),
            position=_COUNTS,
            combine=st.sampled_from(["alone", "and", "or"]),
            other=others,
        )
        def check(stored: int, position: Any, combine: str, other: Any) -> None:
            stream = store.stream(category="fuzz-conditions", stream=f"s{next(counter)}")
            if stored:
                stream.publish(events=[NewEvent(name="e") for _ in range(stored)])
            last = None if stored == 0 else stored - 1
            made: list[WriteCondition] = []
            error = _raised(lambda: made.append(position_is(position)))
            if error is not None:
                assert isinstance(error, ValidationError), error
                assert error.field == "position"
                assert not _counts_ok(position)
                return
            assert _counts_ok(position)
            condition: WriteCondition = made[0]
            holds = position == last
            if combine != "alone":
                if not isinstance(other, WriteCondition):  # documented TypeError (rule 8)
                    with pytest.raises(TypeError):
                        condition = condition & other if combine == "and" else condition | other
                    if other is not None:  # None means no condition
                        with pytest.raises(ValidationError, match="condition"):
                            stream.publish(events=[NewEvent(name="e")], condition=other)
                    assert len(stream.read()) == stored
                    return
                other_holds = other.holds_for(stream.latest())
                condition = condition & other if combine == "and" else condition | other
                holds = holds and other_holds if combine == "and" else holds or other_holds
            error = _raised(
                lambda: stream.publish(events=[NewEvent(name="e")], condition=condition)
            )
            assert isinstance(error, UnmetWriteConditionError) if error else holds, error
            assert error is None or not holds
            assert len(stream.read()) == stored + holds

        check()

    # --- nothing a caller mutates changes the store (rules 4 and 21) ---------------------

    def test_fuzzed_mutations_of_returned_events_never_change_the_store(
        self, store: EventStore
    ) -> None:
        _settled(store)
        counter = itertools.count()

        @_fuzzing(self.fuzz_examples // 2)
        @given(payload=_VALID_JSON, metadata=_VALID_JSON)
        def check(payload: Any, metadata: Any) -> None:
            stream = store.stream(category="fuzz-mutation", stream=f"s{next(counter)}")
            event = NewEvent(name="e", payload=payload, metadata={"m": [metadata]})
            published = stream.publish(events=[event])
            kept = copy.deepcopy(stream.read())
            returned: list[StoredEvent] = [
                *published,
                *stream.read(),
                *stream.iterate(),
                *store.log().read(after=published[0].sequence_number - 1),
            ]
            latest = stream.latest()
            assert latest is not None
            values: list[NewEvent | StoredEvent] = [event, *returned, latest]
            for value in values:
                _vandalise(value.payload)
                _vandalise(value.metadata)
            assert stream.read() == kept
            retried = stream.publish(events=[NewEvent(name="e", id=published[0].id)])
            _vandalise(retried[0].payload)
            assert stream.read() == kept

        check()

    @requires(Capability.PROJECTION_STORAGE)
    def test_fuzzed_mutations_of_returned_projections_never_change_the_store(
        self, store: EventStore
    ) -> None:
        _settled(store)
        counter = itertools.count()
        source = store.stream(category="fuzz-projections", stream="p")
        states = st.dictionaries(_VALID_TEXT, _VALID_JSON, max_size=3)

        @_fuzzing(self.fuzz_examples // 4)
        @given(state=states)
        def check(state: dict[str, Any]) -> None:
            id = f"p{next(counter)}"
            kept = _as_stored(state)
            projection = Projection(name="fuzz", id=id, state=state, source=source.identifier)
            saved = store.projections.save(projection)
            _vandalise(state)
            loaded = store.projections.load(name="fuzz", id=id)
            located = store.projections.locate(name="fuzz", source=source)
            found = store.projections.search(name="fuzz").items
            for value in (saved, loaded, located, *found):
                _vandalise(value)
            again = store.projections.load(name="fuzz", id=id)
            assert again is not None
            assert again.state == kept
            (searched,) = store.projections.search(name="fuzz", where=[field("id") == id]).items
            assert searched.state == kept

        check()
