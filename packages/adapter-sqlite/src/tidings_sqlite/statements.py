"""The SQL a store runs, built once per table name; the one place SQL text is written.

Statements are constant strings per shape, so ``sqlite3``'s per-connection statement
cache prepares each one once and reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from tidings.adapters import ScopeKind
from tidings_sqlite.options import quote_identifier, validate_identifier
from tidings_sqlite.rows import COLUMNS

__all__ = ["IndexNames", "Statements"]

_SELECTED = ", ".join(COLUMNS)


@dataclass(frozen=True, slots=True)
class IndexNames:
    """The indexes of one events table, named after it."""

    stream_position: str
    category_sequence: str
    event_id: str

    @classmethod
    def for_table(cls, table: str) -> IndexNames:
        return cls(
            stream_position=f"{table}_stream_position",
            category_sequence=f"{table}_category_sequence",
            event_id=f"{table}_id",
        )


@dataclass(frozen=True, slots=True)
class Statements:
    """Every statement for one events table, with the table name validated and quoted."""

    table: str
    insert: str
    max_sequence_number: str
    last_position: str
    last_position_and_sequence: str
    last_event: str
    latest_in_log: str
    latest_in_category: str

    @classmethod
    def for_table(cls, table: str) -> Statements:
        quoted = quote_identifier(validate_identifier(table, "table"))
        placeholders = ", ".join("?" for _ in COLUMNS)
        in_stream = "WHERE category = ? AND stream = ? ORDER BY position DESC LIMIT 1"
        return cls(
            table=table,
            insert=f"INSERT INTO {quoted} ({_SELECTED}) VALUES ({placeholders})",
            max_sequence_number=f"SELECT max(sequence_number) FROM {quoted}",
            last_position=f"SELECT position FROM {quoted} {in_stream}",
            last_position_and_sequence=(
                f"SELECT (SELECT position FROM {quoted} {in_stream}), "
                f"(SELECT max(sequence_number) FROM {quoted})"
            ),
            last_event=f"SELECT {_SELECTED} FROM {quoted} {in_stream}",
            latest_in_log=f"SELECT {_SELECTED} FROM {quoted} ORDER BY sequence_number DESC LIMIT 1",
            latest_in_category=(
                f"SELECT {_SELECTED} FROM {quoted} WHERE category = ? "
                "ORDER BY sequence_number DESC LIMIT 1"
            ),
        )

    def events_with_ids(self, count: int) -> str:
        """Select the stored events whose id is one of ``count`` parameters."""
        return _events_with_ids(self.table, count)

    def scan(self, kind: ScopeKind, name_count: int | None) -> str:
        """One keyset page of a scan.

        Parameters: the scope's keys (category; category and stream), then the keyset
        (log and category: the last sequence number; stream: the last position and the
        last sequence number), then ``name_count`` event names, then the page limit.
        Streams page on position, so the stream index alone serves the scan.
        """
        return _scan(self.table, kind, name_count)


@cache
def _events_with_ids(table: str, count: int) -> str:
    marks = ", ".join("?" for _ in range(count))
    return f"SELECT {_SELECTED} FROM {quote_identifier(table)} WHERE id IN ({marks})"


@cache
def _scan(table: str, kind: ScopeKind, name_count: int | None) -> str:
    quoted = quote_identifier(table)
    indexes = IndexNames.for_table(table)
    if kind == "log":
        source, where, order = quoted, "sequence_number > ?", "sequence_number"
    elif kind == "category":
        source = f"{quoted} INDEXED BY {quote_identifier(indexes.category_sequence)}"
        where, order = "category = ? AND sequence_number > ?", "sequence_number"
    else:
        source = f"{quoted} INDEXED BY {quote_identifier(indexes.stream_position)}"
        where = "category = ? AND stream = ? AND position > ? AND sequence_number > ?"
        order = "position"
    if name_count is not None:
        where += f" AND name IN ({', '.join('?' for _ in range(name_count))})"
    return f"SELECT {_SELECTED} FROM {source} WHERE {where} ORDER BY {order} LIMIT ?"
