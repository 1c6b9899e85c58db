"""The projection query language: filters, sorts and pages that mean the same everywhere.

Semantics, defined once (the conformance suite pins each down):

- A **path** is ``name``, ``id``, ``position`` or ``sequence_number`` (the projection's
  own fields), ``state`` or ``state.a.b`` (a key path into the state). Path segments are
  object keys; a segment cannot contain a dot.
- A value at a path is **missing** when any key on the way is absent or a non-object is
  traversed. Missing is not ``null``: ``== None`` matches only JSON ``null``.
- ``==`` and ``!=`` take a scalar (``None``, bool, number, str). Numbers compare by value
  (``1 == 1.0``) and booleans are never numbers. ``!=`` is exactly ``not ==``, so it
  matches missing values.
- ``<``, ``<=``, ``>``, ``>=`` take a number or a string and match only values of the
  same kind; strings compare by Unicode code point. Missing never matches.
- ``in`` takes a list of scalars and matches when ``==`` matches one of them.
- ``contains`` takes a scalar and matches when the value is a **list** holding an equal
  element. It never matches strings (it is not a substring test).
- ``startswith`` takes a string and matches strings with that literal, case-sensitive
  prefix (no wildcards, no regular expressions).
- **Sort** keys order values as: missing, ``null``, ``false``, ``true``, numbers (by
  value), strings (by code point), then lists and objects (tied with one another).
  Descending reverses that order. Ties are broken by ``name`` then ``id``, ascending,
  so every order is total and deterministic.
- **Paging**: ``limit`` with ``offset``, or keyset paging with ``after=page.cursor``
  from a previous :class:`Page` of the same query.
"""

from __future__ import annotations

from tidings._query.model import (
    Cursor,
    Filter,
    Operator,
    Page,
    Query,
    Sort,
    field,
)

__all__ = ["Cursor", "Filter", "Operator", "Page", "Query", "Sort", "field"]
