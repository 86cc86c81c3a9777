"""A TCP relay in front of an HTTP server, with switches that break the way to it.

Tests put it between the service and the AWS emulator to make the emulator unreachable at
a chosen moment: before any connection, before the n-th request, or at the first request
of a given operation (its `X-Amz-Target`, or `Action` for SNS), either before the request is
forwarded ("never reached") or
after the emulator has answered it but before the answer is relayed ("reply lost").

Once a cut has happened the way stays down: open connections are closed and new ones are
refused (nothing listens on the port) until `restore()`, which listens on the same port
again, so clients keep their endpoint URL. Requests are parsed only as far as needed to
count them and read their target (head and Content-Length body); replies are relayed as
bytes.
"""
from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs

HOST = "127.0.0.1"
CHUNK = 65536


@dataclass(frozen=True)
class _Cut:
    """When to go down: at a request (counted from arming) or at an operation."""

    after_requests: int | None = None
    target: str | None = None
    forward: bool = False  # True: the emulator gets the request, the client never the reply


class FaultProxy:
    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.port = 0
        # The operation of each request that reached the emulator, in order.
        self.forwarded: list[str] = []
        self._lock = threading.RLock()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._cut: _Cut | None = None
        self._armed_at = 0
        self.tripped = False  # the armed cut has happened: nothing more is forwarded
        self.down = False

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # -- switches

    def go_down(self) -> None:
        """Unreachable from now on: open connections are cut, new ones refused."""
        with self._lock:
            self._go_down_locked()

    def restore(self) -> None:
        """Reachable again on the same port, with no cut armed."""
        with self._lock:
            self._cut = None
            self.tripped = False
            if self.down:
                self.down = False
                self._listen()

    def cut_after(self, requests: int, *, forward: bool = False) -> None:
        """Forward `requests` more requests, then go down at the next: before it reaches the
        emulator, or with `forward=True` once the emulator has answered it, dropping the
        answer."""
        self._arm(_Cut(after_requests=requests, forward=forward))

    def cut_at(self, target: str, *, forward: bool) -> None:
        """Go down at the first request of `target` (an X-Amz-Target such as
        `DynamoDB_20120810.TransactWriteItems`): before it reaches the emulator, or with
        `forward=True` once the emulator has answered it, dropping the answer."""
        self._arm(_Cut(target=target, forward=forward))

    def _arm(self, cut: _Cut) -> None:
        with self._lock:
            self._cut = cut
            self._armed_at = len(self.forwarded)

    # -- lifecycle

    def start(self) -> FaultProxy:
        with self._lock:
            self._listen()
        return self

    def stop(self) -> None:
        self.go_down()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept, listener)

    def _go_down_locked(self) -> None:
        self.down = True
        if self._listener is not None:
            _close(self._listener)  # shutdown wakes the thread blocked in accept()
            self._listener = None
        for sock in list(self._sockets):
            _close(sock)
        self._sockets.clear()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    # -- relaying

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed: the way is down
            with self._lock:
                if self.down:
                    _close(client)
                    continue
                try:
                    upstream = socket.create_connection((HOST, self.upstream_port))
                except OSError:
                    _close(client)
                    continue
                self._sockets.update((client, upstream))
            connection = _Connection(client, upstream)
            self._spawn(self._requests, connection)
            self._spawn(self._replies, connection)

    def _requests(self, connection: _Connection) -> None:
        """Client to emulator, one parsed request at a time."""
        try:
            for request, target in _read_requests(connection.client):
                with self._lock:
                    action = self._decide(target)
                    if action == "drop":
                        self._go_down_locked()
                        return
                    connection.swallow = action == "swallow"
                    self.forwarded.append(target)
                connection.upstream.sendall(request)
        except OSError:
            pass
        finally:
            with self._lock:
                # The client hung up: so does the emulator side, unless a reply is pending.
                if not connection.swallow:
                    self._discard(connection.upstream)

    def _replies(self, connection: _Connection) -> None:
        """Emulator to client, as bytes; the reply to a "reply lost" request is dropped."""
        try:
            while True:
                data = connection.upstream.recv(CHUNK)
                if not data:
                    break
                with self._lock:
                    if connection.swallow:
                        # The emulator has done the request (it answers once it is done).
                        self._go_down_locked()
                        return
                connection.client.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._discard(connection.client)
            self._discard(connection.upstream)

    def _decide(self, target: str) -> str:
        """'forward', 'drop' (never reached) or 'swallow' (reply lost); under the lock."""
        cut = self._cut
        if self.down or self.tripped:
            return "drop"
        if cut is None:
            return "forward"
        due = (cut.after_requests is not None
               and len(self.forwarded) - self._armed_at >= cut.after_requests) or \
            (cut.target is not None and target == cut.target)
        if not due:
            return "forward"
        self.tripped = True  # whatever comes next is dropped, on any connection
        return "swallow" if cut.forward else "drop"

    def _discard(self, sock: socket.socket) -> None:
        _close(sock)
        self._sockets.discard(sock)


@dataclass
class _Connection:
    client: socket.socket
    upstream: socket.socket
    swallow: bool = False


def _read_requests(sock: socket.socket) -> Iterator[tuple[bytes, str]]:
    """Each whole HTTP request on the connection (bytes as received) and its X-Amz-Target."""
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            data = sock.recv(CHUNK)
            if not data:
                return
            buffer += data
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", ""):
            raise ValueError("the fault proxy reads Content-Length bodies only")
        length = int(headers.get("content-length", "0"))
        while len(buffer) < length:
            data = sock.recv(CHUNK)
            if not data:
                return
            buffer += data
        body, buffer = buffer[:length], buffer[length:]
        yield head + b"\r\n\r\n" + body, _target(headers, body)


def _target(headers: dict[str, str], body: bytes) -> str:
    """The operation: X-Amz-Target for JSON protocols (DynamoDB, Secrets Manager, ECR),
    the form's Action for query ones (SNS)."""
    if "x-amz-target" in headers:
        return headers["x-amz-target"]
    form = parse_qs(body.decode("latin-1")) if "form-urlencoded" in headers.get(
        "content-type", "") else {}
    return form.get("Action", [""])[0]


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected (any more)
    sock.close()
