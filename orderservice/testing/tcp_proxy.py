"""A TCP proxy on loopback that a test can cut and restore, to take a server (PostgreSQL) away from the service
under test and give it back, as a network failure or a failover does."""

import socket
import struct
import threading

from orderservice.testing.live_service import free_port


class TcpProxy:
    """Forwards connections from 127.0.0.1:`port` to `target`. `cut()` refuses new connections and resets
    the open ones; `restore()` listens on the same port again. Call `cut()` to stop it."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the port's old connections linger
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._open = self._open, set()
        if listener is not None:
            _close(listener)  # from now on, connecting is refused
        for connection in connections:
            try:
                # Linger 0: closing sends RST, so the peer sees "connection reset", not a polite end.
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                continue  # its pipe closed it meanwhile
            _close(connection)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut: the listener is closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut while this one was connecting
                    client.close()
                    upstream.close()
                    return
                self._open |= {client, upstream}
            for source, destination in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, destination), daemon=True).start()

    def _pipe(self, source: socket.socket, destination: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                destination.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open -= {source, destination}
            _close(source)
            _close(destination)


def _close(connection: socket.socket) -> None:
    """Close a socket another thread may be blocked on: shutdown wakes that thread, close alone would not."""
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()
