"""Config strings: an immutable :class:`URL` value type that never shows its password.

Grammar: ``scheme[+driver]://[user[:password]@][host[:port]][/path][?key=value&...]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from tidings.errors import InvalidURLError

__all__ = ["URL", "make_url"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9.\-]*)(?:\+([A-Za-z0-9_.\-]+))?://(.*)$", re.DOTALL)
_HIDDEN = "***"


@dataclass(frozen=True, slots=True)
class URL:
    """A parsed config string. ``str()`` and ``repr()`` hide the password."""

    scheme: str
    driver: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int | None = None
    path: str = ""
    query: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "query", MappingProxyType(dict(self.query)))

    @classmethod
    def parse(cls, text: str) -> URL:
        """Parse a config string, or raise :class:`InvalidURLError` saying what is wrong."""
        if not isinstance(text, str):
            raise InvalidURLError(f"a config string must be a str, got {type(text).__name__}")
        match = _SCHEME.match(text)
        if match is None:
            raise InvalidURLError(
                f"{_redact(text)!r} is not a config string; expected scheme://..., "
                "for example sqlite:///events.db or memory://"
            )
        scheme, driver, rest = match.groups()
        rest, _, query_text = rest.partition("?")
        netloc, slash, path = rest.partition("/")
        userinfo, at, hostport = netloc.rpartition("@")
        username = password = None
        if at:
            user_text, colon, password_text = userinfo.partition(":")
            username = unquote(user_text) or None
            password = unquote(password_text) if colon else None
        host, port = _split_host_port(hostport, text)
        return cls(
            scheme=scheme.lower(),
            driver=driver,
            username=username,
            password=password,
            host=unquote(host) or None,
            port=port,
            path=slash + unquote(path) if slash else "",
            query=_parse_query(query_text, text),
        )

    @property
    def database(self) -> str | None:
        """The path without its leading slash: ``sqlite:///a.db`` gives ``a.db``,
        ``sqlite:////tmp/a.db`` gives ``/tmp/a.db``."""
        return self.path[1:] or None

    def set(self, **changes: Any) -> URL:
        """A copy with the given fields replaced."""
        return replace(self, **changes)

    def render(self, *, hide_password: bool = True) -> str:
        """The config string; the password is shown only when asked for."""
        scheme = self.scheme + (f"+{self.driver}" if self.driver else "")
        netloc = ""
        if self.username is not None or self.password is not None:
            netloc = quote(self.username or "", safe="")
            if self.password is not None:
                shown = _HIDDEN if hide_password else quote(self.password, safe="")
                netloc += f":{shown}"
            netloc += "@"
        if self.host:
            netloc += quote(self.host, safe=":[]")
        if self.port is not None:
            netloc += f":{self.port}"
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in self.query.items())
        return f"{scheme}://{netloc}{quote(self.path, safe='/')}" + (f"?{query}" if query else "")

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"URL({self.render()!r})"


def make_url(value: str | URL) -> URL:
    """Return ``value`` as a :class:`URL`, parsing it if it is a string."""
    return value if isinstance(value, URL) else URL.parse(value)


def _split_host_port(hostport: str, text: str) -> tuple[str, int | None]:
    if hostport.startswith("["):
        end = hostport.find("]")
        host, port_text = hostport[: end + 1], hostport[end + 2 :] if end != -1 else ""
    else:
        host, _, port_text = hostport.partition(":")
    if not port_text:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InvalidURLError(f"{_redact(text)!r}: port {port_text!r} is not a number in 1-65535")
    return host, int(port_text)


def _parse_query(query_text: str, text: str) -> dict[str, str]:
    query: dict[str, str] = {}
    for key, value in parse_qsl(query_text, keep_blank_values=True):
        if key in query:
            raise InvalidURLError(f"{_redact(text)!r}: option {key!r} is given twice")
        query[key] = value
    return query


def _redact(text: str) -> str:
    """Hide anything between ``user:`` and ``@`` so errors never leak a password."""
    return re.sub(r"(://[^/@:]*:)[^/@]*@", rf"\g<1>{_HIDDEN}@", text)
