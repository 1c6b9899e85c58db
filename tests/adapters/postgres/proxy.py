"""A TCP proxy in front of the test server that can fall silent, for partition tests.

Silent, it stops moving bytes in both directions but closes and resets nothing, so the
client's kernel still sees a live peer that acknowledges what it sends: a hung proxy,
or a server that stopped answering. Neither keepalives nor ``tcp_user_timeout`` can
detect that (the proxy's kernel answers both), and the server never sees the query, so
``statement_timeout`` cannot either; only a client-side deadline ends the call. Resumed,
it forwards what was buffered meanwhile, as a healed network would. It can also act as a
server that is gone (:meth:`SilentProxy.refuse`): connections end and new ones are refused.
"""

from __future__ import annotations

import selectors
import socket
import threading
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit, urlunsplit

__all__ = ["SilentProxy"]


class SilentProxy:
    """Forwards ``127.0.0.1:<port>`` to the server of ``server_url``, on one thread."""

    def __init__(self, server_url: str) -> None:
        target = urlsplit(server_url)
        self._server_url = server_url
        self._target = (target.hostname or "127.0.0.1", target.port or 5432)
        self._selector = selectors.DefaultSelector()
        self._listener = self._listen(0)
        self.port: int = self._listener.getsockname()[1]
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._lock = threading.Lock()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="silent-proxy", daemon=True)
        self._thread.start()

    def url(self, schema: str, **query: object) -> str:
        """The server's config string, through this proxy, for ``schema``."""
        parts = urlsplit(self._server_url)
        user = f"{parts.username}@" if parts.username else ""
        options = "&".join(f"{key}={value}" for key, value in {"schema": schema, **query}.items())
        netloc = f"{user}127.0.0.1:{self.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, options, ""))

    def silence(self) -> None:
        """Stop forwarding; once this returns, no byte moves until :meth:`resume`."""
        with self._lock:
            self._forwarding.clear()

    def resume(self) -> None:
        """Forward again, the buffered bytes first."""
        self._forwarding.set()

    def refuse(self) -> None:
        """Act as a server that is gone: end every forwarded connection, and refuse new
        ones until :meth:`listen`."""
        with self._lock:
            for key in list(self._selector.get_map().values()):
                self._selector.unregister(key.fileobj)
                key.fileobj.close()  # type: ignore[union-attr]

    def listen(self) -> None:
        """Accept connections again, on the same port."""
        with self._lock:
            if self._listener.fileno() == -1:
                self._listener = self._listen(self.port)

    def _listen(self, port: int) -> socket.socket:
        listener = socket.create_server(("127.0.0.1", port))  # SO_REUSEADDR: same port
        listener.setblocking(False)
        self._selector.register(listener, selectors.EVENT_READ, None)
        return listener

    def close(self) -> None:
        """Stop the thread and close every socket (the peers see the connections end)."""
        self._stopping = True
        self._forwarding.set()
        self._thread.join()
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self._selector.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self) -> None:
        while not self._stopping:
            if not self._forwarding.wait(0.05):
                continue
            ready = self._selector.select(0.05)
            with self._lock:
                if not self._forwarding.is_set():
                    continue  # silenced after select: leave the bytes where they are
                for key, _ in ready:
                    if key.data is None:
                        self._accept()
                    else:
                        self._pump(key.fileobj, key.data)  # type: ignore[arg-type]

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except OSError:  # nobody waiting, or the listener closed since select
            return
        upstream = socket.create_connection(self._target)
        self._selector.register(client, selectors.EVENT_READ, upstream)
        self._selector.register(upstream, selectors.EVENT_READ, client)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            data = source.recv(65536)
            if data:
                sink.sendall(data)
                return
        except OSError:
            pass
        for end in (source, sink):  # one side ended: end the other, as TCP would
            if end.fileno() != -1:
                self._selector.unregister(end)
                end.close()
