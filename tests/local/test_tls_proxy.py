"""The HTTPS front of `make run` (local/tls_proxy.py) relays requests and answers unchanged.

A small HTTP/1.1 server stands in for `chalice local`; the front runs as the stack runs it,
as its own process, and is reached with a client that trusts only the stack's CA.
"""
from __future__ import annotations

import http.client
import json
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from local.certificates import TlsFiles, ensure_certificates
from local.processes import Child, wait_for_port
from testbed.local_stack import ROOT
from testbed.registry import free_port

TOGETHER = 32  # requests the app holds until all of them have arrived through the front


class App(BaseHTTPRequestHandler):
    """Echoes each request as JSON, with the status the query asks for; streams on /stream."""

    protocol_version = "HTTP/1.1"
    together = threading.Barrier(TOGETHER, timeout=30)
    stream_released = threading.Event()

    def _answer(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/stream":
            return self._stream()
        if url.path == "/together":
            self.together.wait()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status = int(parse_qs(url.query).get("status", ["200"])[0])
        echo = json.dumps({"method": self.command, "path": self.path, "body": body.decode(),
                           "headers": {name: self.headers[name] for name in (
                               "Authorization", "Content-Type", "Accept", "Host")}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if status == 204:
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(echo)))
        self.end_headers()
        self.wfile.write(echo)

    def _stream(self) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"6\r\nfirst\n\r\n")
        self.wfile.flush()
        released = self.stream_released.wait(timeout=30)  # the client has read the first
        self.wfile.write(b"7\r\nsecond\n\r\n0\r\n\r\n" if released else b"")
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return ensure_certificates(tmp_path_factory.mktemp("state") / "tls")


@pytest.fixture(scope="module")
def front(tls: TlsFiles, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The front's port, relaying to the stand-in app."""
    app = ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    port = free_port()
    log = tmp_path_factory.mktemp("logs") / "tls-proxy.log"
    with open(log, "wb") as out:
        proxy = subprocess.Popen([
            sys.executable, "-m", "local.tls_proxy", "--port", str(port), "--upstream-port",
            str(app.server_address[1]), "--certificate", str(tls.certificate),
            "--key", str(tls.key)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(Child("tls-proxy", proxy, log), port)
        yield port
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        app.shutdown()
        app.server_close()


def _connect(tls: TlsFiles, port: int, host: str = "127.0.0.1") -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(tls.ca_certificate))
    return http.client.HTTPSConnection(host, port, context=context, timeout=30)


@pytest.mark.parametrize("method, status", [("GET", 200), ("POST", 201), ("PUT", 409),
                                            ("PATCH", 418), ("DELETE", 204)])
def test_methods_headers_bodies_and_statuses_pass_unchanged(tls, front, method, status):
    connection = _connect(tls, front)
    body = json.dumps({"kind": "ImageStream"}) if method in ("POST", "PUT", "PATCH") else None
    headers = {"Authorization": "Bearer isk_secret", "Accept": "application/json;as=Table",
               "Content-Type": "application/merge-patch+json"}
    for _ in range(2):  # one connection, kept alive across requests
        connection.request(method, f"/apis/x?status={status}", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        assert response.status == status
        if status == 204:
            assert answer == b""
            continue
        assert json.loads(answer) == {
            "method": method, "path": f"/apis/x?status={status}", "body": body or "",
            "headers": {**headers, "Host": f"127.0.0.1:{front}"}}
    connection.close()


def test_a_chunked_answer_streams_through_as_the_app_writes_it(tls, front):
    connection = _connect(tls, front, host="localhost")  # the certificate names both
    connection.request("GET", "/stream")
    response = connection.getresponse()
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.readline() == b"first\n"  # before the app has written the rest
    App.stream_released.set()
    assert response.read() == b"second\n"
    connection.close()


def test_many_connections_are_relayed_at_once(tls, front):
    def request(index: int) -> int:
        connection = _connect(tls, front)
        connection.request("POST", "/together", body=str(index))
        response = connection.getresponse()
        answered = json.loads(response.read())["body"]
        connection.close()
        return int(answered)

    with ThreadPoolExecutor(TOGETHER) as pool:  # the app answers once all are in
        assert sorted(pool.map(request, range(TOGETHER))) == list(range(TOGETHER))



def test_a_large_body_arrives_whole_both_ways(tls, front):
    body = "x" * (3 * 1024 * 1024 + 17)  # many TLS records and relay chunks
    connection = _connect(tls, front)
    connection.request("PUT", "/large", body=body, headers={"Content-Type": "text/plain"})
    response = connection.getresponse()
    assert response.status == 200 and json.loads(response.read())["body"] == body
    connection.close()
