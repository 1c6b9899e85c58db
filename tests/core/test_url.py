from __future__ import annotations

import pytest

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
