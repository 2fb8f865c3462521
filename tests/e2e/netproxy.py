"""A loopback TCP relay that can be cut, for fault-injection runs: the roles talk to the
chain through it, and `outage(seconds)` makes the node unreachable (connections refused
and dropped) while the chain itself keeps running, as when a network link fails."""

from __future__ import annotations

import socket
import threading
import time


class TcpRelay:
    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.target_port = target_port
        self._up = threading.Event()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = self._listen(0)
        self.port = int(self._listener.getsockname()[1])
        self._up.set()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, port))
        listener.listen(64)
        return listener

    def _accept_loop(self) -> None:
        while True:
            self._up.wait()
            try:
                client, _ = self._listener.accept()
            except OSError:
                continue  # the listener was closed for an outage
            if not self._up.is_set():  # accepted as the outage began: refuse it too
                client.close()
                continue
            upstream = socket.create_connection((self.host, self.target_port))
            with self._lock:
                self._conns += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.close()
                except OSError:
                    pass

    @property
    def up(self) -> bool:
        """False from the start of an outage until connections are accepted again."""
        return self._up.is_set()

    def outage(self, seconds: float) -> None:
        """Refuse and drop every connection for `seconds`, then accept again on the same port."""
        self._up.clear()
        try:  # close() alone does not wake a thread blocked in accept(): it would keep accepting
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            for sock in self._conns:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                except OSError:
                    pass
            self._conns.clear()
        time.sleep(seconds)
        self._listener = self._listen(self.port)
        self._up.set()
