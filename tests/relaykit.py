"""A TCP relay of a test's own in front of the trial server's store: it can cut the connection
part-way (a store that goes away mid-ingest) or put TLS in front of it (an https store)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading


class Relay:
    """127.0.0.1:port -> the store; after ``cut_after`` bytes sent to the store it closes every
    connection and refuses new ones (until ``cut_after`` is raised again). With ``tls`` (a
    server context) the relay's side speaks TLS: an https front for the store's plain http."""

    def __init__(
        self, target: tuple[str, int], cut_after: int = 1 << 40, tls: ssl.SSLContext | None = None
    ) -> None:
        self.target = target
        self._tls = tls
        self.cut_after = cut_after
        self.sent = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._socks: list[socket.socket] = []
        self._cut_next: bool | None = None  # cut_next: True requests, False replies
        self._then_down = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def cut(self) -> bool:
        return self.sent >= self.cut_after

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.cut:
                client.close()
                continue
            if self._tls is not None:
                try:
                    client = self._tls.wrap_socket(client, server_side=True)
                except (OSError, ssl.SSLError):  # the client refused the certificate
                    client.close()
                    continue
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._socks += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def cut_next(self, request: bool, then_down: bool = False) -> None:
        """Cut the one connection on which data next comes in that direction (``request``: to
        the server, else from it), without passing that data on: a request lost on the way,
        or a server's answer lost after it did the work. The relay's other connections stay,
        unless ``then_down``: then every one is cut and new ones refused (until ``cut_after``
        is raised again)."""
        self._cut_next, self._then_down = request, then_down

    def _pipe(self, src: socket.socket, dst: socket.socket, counted: bool) -> None:
        try:
            while data := src.recv(1 << 16):
                with self._lock:
                    cut_here = self._cut_next is counted
                    if cut_here:
                        self._cut_next = None
                        if self._then_down:
                            self.cut_after = self.sent
                if cut_here:
                    if self.cut:
                        self.close_connections()
                    return
                if counted:
                    with self._lock:
                        self.sent += len(data)
                    if self.cut:
                        self.close_connections()
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close_connections(self) -> None:
        with self._lock:
            socks, self._socks = self._socks, []
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self._listener.close()
        self.close_connections()
