from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tidings
from tidings import URL, InvalidURLError, make_url


def test_a_full_url_is_parsed_into_its_parts() -> None:
    url = make_url("postgresql+psycopg://joe:s3cret@db.example.com:5433/events?schema=es&x=1")
    assert url.scheme == "postgresql"
    assert url.driver == "psycopg"
    assert (url.username, url.password) == ("joe", "s3cret")
    assert (url.host, url.port) == ("db.example.com", 5433)
    assert url.database == "events"
    assert dict(url.query) == {"schema": "es", "x": "1"}


@pytest.mark.parametrize(
    ("text", "database"),
    [
        ("sqlite:///relative.db", "relative.db"),
        ("sqlite:////abs/path.db", "/abs/path.db"),
        ("sqlite://", None),
        ("memory://", None),
    ],
)
def test_sqlite_style_paths(text: str, database: str | None) -> None:
    assert make_url(text).database == database


def test_memory_names_keep_their_case() -> None:
    assert make_url("memory://SharedStore").host == "SharedStore"


def test_str_and_repr_hide_the_password() -> None:
    url = make_url("postgresql://joe:s3cret@host/db")
    assert "s3cret" not in str(url)
    assert "s3cret" not in repr(url)
    assert str(url) == "postgresql://joe:***@host/db"
    assert url.render(hide_password=False) == "postgresql://joe:s3cret@host/db"


def test_urls_are_immutable_values() -> None:
    url = make_url("memory://a?x=1")
    assert url == make_url("memory://a?x=1")
    with pytest.raises(AttributeError):
        url.host = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        url.query["x"] = "2"  # type: ignore[index]
    changed = url.set(host="b")
    assert (url.host, changed.host) == ("a", "b")


def test_special_characters_round_trip() -> None:
    url = make_url("postgresql://user%40x:p%2Fw@host/db")
    assert (url.username, url.password) == ("user@x", "p/w")
    assert make_url(url.render(hide_password=False)) == url


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not a url", "not a config string"),
        ("postgresql://host:notaport/db", "port"),
        ("postgresql://host:70000/db", "port"),
        ("memory://?a=1&a=2", "twice"),
    ],
)
def test_malformed_urls_are_rejected_clearly(text: str, message: str) -> None:
    with pytest.raises(InvalidURLError, match=message):
        URL.parse(text)


def test_a_parse_error_never_shows_the_password() -> None:
    with pytest.raises(InvalidURLError) as raised:
        URL.parse("postgresql://joe:s3cret@host:bad/db")
    assert "s3cret" not in str(raised.value)


SECRET = "Zq9"
"""Every fragment of the passwords below contains this marker, so a test sees any piece
of a password that leaks, not only the whole of it."""


@pytest.mark.parametrize(
    "text",
    [
        f"postgresql://u:{SECRET}a/{SECRET}b@host:1/db",  # "/" in the password
        f"postgresql://u:{SECRET}a@{SECRET}b@host:bad/db",  # "@" in it, and a bad port
        f"postgresql://u:{SECRET}a?{SECRET}b@host/db",  # "?" in it
        f"postgresql://u:@?{SECRET}=@host:1/db",  # "@?" in it: an empty host, then a query
        f"postgresql://u:@/{SECRET}@host:1/db",  # "@/" in it: an empty host, then a path
        f"postgresql://u:{SECRET}a:{SECRET}b@host:x/db",  # ":" in it, and a bad port
        f"postgresql://u:{SECRET}a/{SECRET}b?{SECRET}c@{SECRET}d@h:5432/db?a=1&a=2",
        f"postgresql://u:{SECRET}/db",  # a forgotten @host: the password is the "port"
        f"postgresql+psycopg://u:{SECRET}a/{SECRET}b@h:99999/db",
        f"postgresql://u:{SECRET}a\n{SECRET}b@host:bad/db",
        f"postgresql://u:{SECRET}@host/db?x=1&x=2",  # a valid password, a duplicate option
        f"postgresql://u:{SECRET}@[::1/db",  # an unclosed IPv6 bracket
        f"postgresql:/u:{SECRET}@host/db",  # one slash: not a config string at all
        f"u:{SECRET}@host/db",  # no scheme
        f"postgresql://host/db?password={SECRET}a&password={SECRET}b",
        f"postgresql://host/db?sslpassword={SECRET}&sslpassword=x",
    ],
)
def test_a_malformed_url_never_shows_any_part_of_its_password(text: str) -> None:
    with pytest.raises(InvalidURLError) as raised:
        URL.parse(text)
    for shown in (str(raised.value), repr(raised.value), *map(str, raised.value.args)):
        assert SECRET not in shown


def test_a_redacted_url_keeps_what_helps_to_find_the_mistake() -> None:
    with pytest.raises(InvalidURLError) as raised:
        URL.parse(f"postgresql://joe:pa/ss-{SECRET}@db.example.com:1/events")
    assert "'postgresql://joe:***@db.example.com:1/events'" in str(raised.value)
    assert "percent-encoded" in str(raised.value)


def test_a_numeric_password_in_the_port_position_is_hidden() -> None:
    with pytest.raises(InvalidURLError) as raised:
        URL.parse("postgresql://u:123456/db")
    assert "123456" not in str(raised.value)
    assert "'postgresql://u:***'" in str(raised.value)


def test_a_bracketed_host_must_be_closed() -> None:
    with pytest.raises(InvalidURLError, match="bracketed"):
        URL.parse("postgresql://[::1/db")
    with pytest.raises(InvalidURLError, match="bracketed"):
        URL.parse("postgresql://[::1]x/db")
    assert URL.parse("postgresql://[::1]:5433/db").port == 5433


def test_str_hides_query_options_that_hold_secrets() -> None:
    url = make_url(f"postgresql://h/db?sslpassword={SECRET}&schema=s")
    assert SECRET not in str(url)
    assert SECRET not in repr(url)
    assert "schema=s" in str(url)
    assert url.query["sslpassword"] == SECRET
    assert SECRET in url.render(hide_password=False)


_PASSWORD_CHARS = st.characters(codec="utf-8", exclude_characters="\x00")


@settings(max_examples=300, deadline=None)
@given(
    password=st.lists(
        st.text(alphabet=_PASSWORD_CHARS, max_size=3) | st.sampled_from("/?#@:&="),
        min_size=1,
        max_size=6,
    ),
    user=st.sampled_from(["", "u", "joe"]),
    after=st.sampled_from(["@h:bad/db", "@h:1/db", "@h/db?a=1&a=2", "/db", "@[::1/db", ""]),
)
def test_no_part_of_a_password_shows_when_a_url_fails_to_parse(
    password: list[str], user: str, after: str
) -> None:
    secret = SECRET.join(password) + SECRET
    if not after.startswith("@"):
        # Without "@host" after it, a password's "@" would make the rest a host: the
        # string then says something else, and no reading can tell them apart.
        secret = secret.replace("@", "")
    text = f"postgresql://{user}:{secret}{after}"
    shown: list[str] = []
    try:
        URL.parse(text)
    except InvalidURLError as error:
        shown += [str(error), repr(error)]
    assert not [message for message in shown if SECRET in message]


def test_connect_with_a_slash_in_the_password_does_not_quote_it() -> None:
    with pytest.raises(InvalidURLError) as raised:
        tidings.connect("postgresql://u:pa/ss-SECRET@host:1/db")
    assert "SECRET" not in str(raised.value)
    assert "'pa'" not in str(raised.value)
    assert "SECRET" not in repr(raised.value)


def test_a_port_of_thousands_of_digits_is_an_invalid_url_not_a_value_error() -> None:
    with pytest.raises(InvalidURLError, match="port"):
        URL.parse("memory://h:" + "9" * 5000)


@pytest.mark.parametrize(
    "text",
    [
        "memory://user:?Pw0000000000=@host:1/db",
        "memory://user@host/db?password=@Pw0000000000&a=1&a=2",
        "postgresql://u:pa/Pw0000000000@host/db",
    ],
)
def test_a_password_cut_short_by_an_unencoded_character_never_shows(text: str) -> None:
    with pytest.raises(InvalidURLError) as caught:
        URL.parse(text)
    assert "Pw0000000000" not in str(caught.value)
    assert "Pw0000000000" not in repr(caught.value)
