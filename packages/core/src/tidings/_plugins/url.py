"""Config strings: an immutable :class:`URL` value type that never shows its password.

Grammar: ``scheme[+driver]://[user[:password]@][host[:port][,host[:port]...]][/path][?key=value&...]``.
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
_PORT_AND_AFTER = re.compile(r"(\d{1,5})(?:[/?]|\Z)")
"""Digits where a port goes, up to the end of the host part."""
_BRACKETED_HOST = re.compile(r"\[[^\]]*\](?=[:/?]|\Z)")
"""An IPv6 host such as ``[::1]``, whose colons are not the one before a port."""
_LOOSE_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_SECRET_VALUE = re.compile(r"([?&][^=&#]*(?:pass|secret)[^=&#]*=)[^&#]*", re.IGNORECASE)
"""A query option whose name mentions a password or secret, up to its value."""


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
        ambiguous = (not at and ":" in netloc) or (at and not hostport)
        if ambiguous and "@" in f"{path}?{query_text}":
            # "user:pa?ss@host" or "user:pa/ss@host": a password with an unencoded "?",
            # "/" or "#" ends the authority early and leaves its rest in the query or path.
            # So does "user:@?ss@host" ("@?" in it), leaving an empty host before the "?".
            raise InvalidURLError(
                f"{_redact(text)!r}: an '@' follows the host (a password must come before "
                "'@host', with '/', '?', '#' and '@' in it percent-encoded)"
            )
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
        """The config string; the password, and any query option whose name mentions a
        password or secret (``?sslpassword=...``), are shown only when asked for."""
        scheme = self.scheme + (f"+{self.driver}" if self.driver else "")
        netloc = ""
        if self.username is not None or self.password is not None:
            netloc = quote(self.username or "", safe="")
            if self.password is not None:
                shown = _HIDDEN if hide_password else quote(self.password, safe="")
                netloc += f":{shown}"
            netloc += "@"
        if self.host:
            netloc += quote(self.host, safe=":[],")
        if self.port is not None:
            netloc += f":{self.port}"
        query = "&".join(
            f"{quote(k, safe='')}="
            + (_HIDDEN if hide_password and _is_secret_key(k) else quote(v, safe=""))
            for k, v in self.query.items()
        )
        return f"{scheme}://{netloc}{quote(self.path, safe='/')}" + (f"?{query}" if query else "")

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"URL({self.render()!r})"


def make_url(value: str | URL) -> URL:
    """Return ``value`` as a :class:`URL`, parsing it if it is a string."""
    return value if isinstance(value, URL) else URL.parse(value)


def _split_host_port(hostport: str, text: str) -> tuple[str, int | None]:
    """``host[:port]``; or, as libpq allows, a list ``h1:5432,h2:5433,h3``, which stays
    whole in ``host`` (each entry checked) for the adapter to split."""
    if "," in hostport:
        for entry in hostport.split(","):
            if not entry:
                raise InvalidURLError(f"{_redact(text)!r}: an empty host in a host list")
            _split_host_port(entry, text)
        return hostport, None
    if hostport.startswith("["):
        end = hostport.find("]")
        after = hostport[end + 1 :] if end != -1 else ""
        if end == -1 or (after and not after.startswith(":")):
            raise InvalidURLError(
                f"{_redact(text)!r}: a bracketed host must be [address] or [address]:port"
            )
        host, port_text = hostport[: end + 1], after[1:]
    else:
        host, _, port_text = hostport.partition(":")
    if not port_text:
        return host, None
    if not _is_port(port_text):
        # The text is not quoted: "u:secret/db" (a forgotten "@host") puts a password
        # where the port goes, and so does an unencoded "/" in a password.
        raise InvalidURLError(
            f"{_redact(text)!r}: the port is not a number in 1-65535 (a password must "
            "come before '@host', with '/', '?', '#' and '@' in it percent-encoded)"
        )
    return host, int(port_text)


def _parse_query(query_text: str, text: str) -> dict[str, str]:
    query: dict[str, str] = {}
    for key, value in parse_qsl(query_text, keep_blank_values=True):
        if key in query:
            # Neither the string nor the key is quoted: an unencoded "@" in a password
            # can put part of it in the query, where it would show.
            scheme = text.partition("://")[0]
            raise InvalidURLError(
                f"a {scheme}:// config string gives an option twice; give each option once"
            )
        query[key] = value
    return query


def _is_port(text: str) -> bool:
    # The length check first: int() of thousands of digits raises a raw ValueError.
    return len(text) <= 5 and text.isascii() and text.isdigit() and 0 < int(text) < 65536


def _redact(text: str) -> str:
    """``text``, a config string that failed to parse, with whatever could be a password
    replaced by ``***``, for error messages.

    A malformed string cannot be trusted to follow the grammar, so this assumes the
    worst. Without ``scheme://`` it is not even a URL, and only a leading ``scheme:`` is
    kept. A password may hold an unencoded ``/``, ``?``, ``#``, ``:`` or ``@``, so everything
    after ``://`` up to the *last* ``@`` could be userinfo: only the user name before
    its first ``:`` is kept. Without an ``@``, a password can still follow the first
    ``:`` (``u:secret/db``, a forgotten ``@host``), so unless a valid port follows it,
    all after it is hidden. So are the values of query options whose names mention a
    password or secret.
    """
    head, separator, rest = text.partition("://")
    if not separator or not _LOOSE_SCHEME.fullmatch(head + ":"):
        if ":" not in text and "@" not in text:
            return text  # nothing like user:password in it
        scheme = _LOOSE_SCHEME.match(text)
        return (scheme.group(0) if scheme else "") + _HIDDEN
    userinfo, at, rest = rest.rpartition("@")
    if at:
        user, colon, _ = userinfo.partition(":")
        if colon:
            rest = f"{user}:{_HIDDEN}@{rest}"
        elif "@" in userinfo:  # several "@" and no ":": no telling where a user name ends
            rest = f"{_HIDDEN}@{rest}"
        else:
            rest = f"{userinfo}@{rest}"
    else:
        bracketed = _BRACKETED_HOST.match(rest)
        where = rest.find(":", bracketed.end() if bracketed else 0)
        port = _PORT_AND_AFTER.match(rest, where + 1) if where != -1 else None
        if where != -1 and not (port and _is_port(port.group(1))):
            rest = rest[: where + 1] + _HIDDEN
    return head + separator + _SECRET_VALUE.sub(rf"\g<1>{_HIDDEN}", rest)


def _is_secret_key(key: str) -> bool:
    """Whether a query option's value may be a secret: ``password``, ``sslpassword``..."""
    lowered = key.lower()
    return "pass" in lowered or "secret" in lowered
