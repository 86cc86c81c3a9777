"""A loopback HTTP server that answers what a test scripts: lying, failing or slow registries."""
from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Union
from urllib.parse import urlsplit

from testbed.oci_layout import BuiltImage, OciLayout
from testbed.registry import KeyPair


@dataclass(frozen=True)
class Canned:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds before the status line
    trickle: float = 0.0  # seconds between body bytes
    length: int | None = None  # Content-Length sent; None: len(body); -1: none (close-delimited)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str  # with the query string
    headers: dict[str, str]


Route = Union[Canned, Callable[[Seen], Canned]]


class ScriptedServer:
    """Routes are keyed "METHOD /path" (query ignored); anything else is a 404."""

    def __init__(self, routes: dict[str, Route], tls: KeyPair | None = None):
        self.routes = routes
        self.seen: list[Seen] = []
        self._stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server._serve(self, "GET")

            def do_HEAD(self) -> None:  # noqa: N802
                server._serve(self, "HEAD")

            def log_message(self, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls.cert_path, tls.key_path)
            self._http.socket = context.wrap_socket(self._http.socket, server_side=True)
            self.scheme = "https"
        self.port = self._http.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}{path}"

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        seen = Seen(method, handler.path, dict(handler.headers.items()))
        self.seen.append(seen)
        route = self.routes.get(f"{method} {urlsplit(handler.path).path}")
        canned = route(seen) if callable(route) else route or Canned(404, body=b'{"errors":[]}')
        if canned.delay and self._stopping.wait(canned.delay):
            return
        try:
            handler.send_response(canned.status)
            for name, value in canned.headers.items():
                handler.send_header(name, value)
            length = len(canned.body) if canned.length is None else canned.length
            if length >= 0:
                handler.send_header("Content-Length", str(length))
            handler.end_headers()
            if method == "HEAD":
                return
            if not canned.trickle:
                handler.wfile.write(canned.body)
                return
            for i in range(len(canned.body)):
                handler.wfile.write(canned.body[i:i + 1])
                handler.wfile.flush()
                if self._stopping.wait(canned.trickle):
                    return
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first, which is what several tests expect

    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stopping.set()
        self._http.shutdown()
        self._http.server_close()


def blob_bytes(layout: OciLayout, digest: str) -> bytes:
    return (Path(layout.path) / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()


def image_routes(layout: OciLayout, image: BuiltImage, repository: str = "demo/app",
                 tag: str = "1.0") -> dict[str, Route]:
    """Routes that serve `image` honestly, as a registry would, for a test to override."""
    manifest = blob_bytes(layout, image.digest)
    answer = Canned(200, {"Content-Type": image.manifest.media_type,
                          "Docker-Content-Digest": image.digest}, manifest)
    config = image.config_blob.digest
    routes: dict[str, Route] = {f"{method} /v2/{repository}/manifests/{ref}": answer
                                for method in ("GET", "HEAD") for ref in (tag, image.digest)}
    routes[f"GET /v2/{repository}/blobs/{config}"] = Canned(200, {}, blob_bytes(layout, config))
    return routes
