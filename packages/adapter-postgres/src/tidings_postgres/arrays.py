"""Typed array parameters: list subclasses whose binary dumpers know their element type.

psycopg's generic list dumper inspects every list to find its element type, looks up a
dumper for it, then walks the list for dimensions, nesting and nulls; for the 13 arrays
of a publish that was the largest part of the client's CPU time (measured). These
dumpers carry the array and element oids, so psycopg uses them as they are, and write
the flat, null-free arrays that the adapter builds in one pass. I/O-free:
:data:`ADAPTERS` is handed to every connection.
"""

from __future__ import annotations

import struct
from datetime import datetime
from typing import Any

from psycopg import adapters as _global_adapters
from psycopg.adapt import AdaptersMap
from psycopg.types.array import ListBinaryDumper

__all__ = ["ADAPTERS", "ARRAY_TYPES", "Bigints", "Booleans", "Integers", "Texts", "Timestamps"]


class Texts(list[str]):
    """A ``text[]`` parameter."""


class Booleans(list[bool]):
    """A ``boolean[]`` parameter."""


class Bigints(list[int]):
    """A ``bigint[]`` parameter."""


class Integers(list[int]):
    """An ``integer[]`` parameter."""


class Timestamps(list[datetime]):
    """A ``timestamptz[]`` parameter."""


_EMPTY = struct.Struct("!iiI")
"""No dimensions, no nulls, the element oid."""
_HEADER = struct.Struct("!iiIii")
"""One dimension, no nulls, the element oid, the length, lower bound 1."""
_LENGTH = struct.Struct("!i")


class _FlatArrayDumper(ListBinaryDumper):
    """A one-dimensional array without nulls, in PostgreSQL's binary array format."""

    def dump(self, obj: list[Any]) -> bytes:
        if not obj:
            return _EMPTY.pack(0, 0, self.element_oid)
        if self.sub_dumper is None:  # pragma: no cover - psycopg always passes a context
            raise TypeError(f"{type(self).__name__} has no element dumper")
        element = self.sub_dumper.dump
        parts: list[Any] = [_HEADER.pack(1, 0, self.element_oid, len(obj), 1)]
        for item in obj:
            data = element(item)
            if data is None:
                raise TypeError(f"{type(self).__name__} got an element that dumps as NULL")
            parts.append(_LENGTH.pack(len(data)))
            parts.append(data)
        return b"".join(parts)


ADAPTERS = AdaptersMap(_global_adapters)
"""The adapters of every connection the adapter opens: psycopg's, plus the typed arrays."""

ARRAY_TYPES: list[tuple[type[list[Any]], type[_FlatArrayDumper]]] = []
"""Each typed array and its dumper, to register on a connection the adapter did not open
(one of the application's pool)."""


def _register(cls: type[list[Any]], type_name: str) -> None:
    info = _global_adapters.types[type_name]
    dumper = type(
        f"{cls.__name__}BinaryDumper",
        (_FlatArrayDumper,),
        {"oid": info.array_oid, "element_oid": info.oid},
    )
    ADAPTERS.register_dumper(cls, dumper)
    ARRAY_TYPES.append((cls, dumper))


for _cls, _name in (
    (Texts, "text"),
    (Booleans, "bool"),
    (Bigints, "int8"),
    (Integers, "int4"),
    (Timestamps, "timestamptz"),
):
    _register(_cls, _name)
