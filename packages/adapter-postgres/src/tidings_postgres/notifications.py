# Generated from async_notifications.py by tools/unasync.py: do not edit.
"""Wake-ups on commit: LISTEN/NOTIFY, with the subscriber's own poll as the fallback.

A publish that stored events announces its commit on the schema's channel. PostgreSQL
serialises the commits of notifying transactions (a database-wide lock held through the
commit's WAL flush). At ``ordering=log`` the log lock serialises those commits anyway, so
the notification rides in the publish's own statement; at the category and stream
levels, where concurrent writers may share a flush, it is a statement of its own, right
after the commit, which writes no WAL and holds that lock only for itself.

Subscribers of one store share one listening connection, opened on first wait. One
waiter at a time reads it (the leader); the others sleep until the leader wakes them,
then re-read their scope. Nothing here can make a subscriber miss an event: a lost
notification, a listener connection that dies, or a server that does not answer costs
at most one ``poll_interval``, because every wait ends by then and the subscriber reads
again. Returning early is always allowed (contract rule 25).

The async module is the one source of both faces; ``tools/unasync.py`` generates the
sync one.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from contextlib import suppress

import psycopg
from psycopg import sql

from tidings_postgres.connection import Connection, Server

__all__ = ["CommitListener", "channel_for", "notify_statement"]

notify_statement = "SELECT pg_notify(%s, '')"
"""Sent after a publish commits; the payload is empty, the channel is the schema's."""


def channel_for(schema: str) -> str:
    """The notification channel of ``schema``: a short, stable identifier, since a
    schema name may be 63 bytes of any text and a channel name must fit in 63 too."""
    return "tidings_" + hashlib.sha256(schema.encode("utf-8", "surrogatepass")).hexdigest()[:24]


class CommitListener:
    """One ``LISTEN`` connection per store, shared by every subscriber that waits."""

    def __init__(self, server: Server, channel: str) -> None:
        self._server = server
        self._channel = channel
        self._conn: Connection | None = None
        self._condition = threading.Condition()
        self._leading = False
        self._generation = 0
        self._seen: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
        self._closed = False

    def wait(self, timeout: float) -> None:
        """Return after a commit was announced, or after ``timeout`` seconds at most.

        A notification heard while the caller was not waiting (it was reading its scope)
        must still wake it, or it would sleep through that commit until its next poll:
        so each caller, a thread or a task, remembers the last announcement it saw, and
        returns at once when a newer one came in between.
        """
        me = threading.current_thread()
        deadline = time.monotonic() + timeout
        with self._condition:
            seen = self._seen.get(me)
            while seen == self._generation and self._leading:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._condition.wait(remaining)
            if seen != self._generation or self._closed:
                self._seen[me] = self._generation
                return
            self._leading = True
        try:
            self._listen(deadline)
        finally:
            with self._condition:
                self._leading = False
                # Followers wake either way: on a notification, or to take over the
                # listening from a leader whose own wait ran out.
                self._generation += 1
                self._seen[me] = self._generation
                self._condition.notify_all()

    def _listen(self, deadline: float) -> None:
        """Read the listening connection until one notification or the deadline."""
        try:
            if self._conn is None or self._conn.closed:
                self._conn = conn = self._server.connect()
                if self._closed:  # the store closed while this connection was opening
                    self._drop()
                    return
                listen = sql.SQL("LISTEN {}").format(sql.Identifier(self._channel))
                conn.execute(listen)
                # A commit made just before LISTEN took effect went unheard: wake now,
                # so that the subscriber reads again at once.
                return
            remaining = deadline - time.monotonic()
            if remaining > 0:
                # Run the generator to its end (stop_after ends it): leaving it early
                # would keep the connection's lock until it is collected.
                for _ in self._conn.notifies(timeout=remaining, stop_after=1):
                    pass
        except Exception:  # noqa: BLE001 - any failure falls back to the poll
            # The listener is gone or never came (a restart, a failover, a closed store):
            # poll until the deadline, and listen again on the next wait.
            self._drop()
            if not self._closed:
                time.sleep(max(deadline - time.monotonic(), 0.0))

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(psycopg.Error, OSError):
                conn.close()

    def close(self) -> None:
        """Close the listening connection; a waiter on it wakes. Idempotent."""
        self._closed = True
        self._drop()
