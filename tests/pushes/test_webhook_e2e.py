"""skopeo pushes to a real docker-registry whose notifications reach the app's webhook."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.services.imports import ImportSettings
from testbed.oci_layout import OciLayout
from testbed.registry import require_tools, start_registry

SECRET = "webhook-test-secret"


class Forwarder:
    """A loopback HTTP server that hands each request to the app (chalice.test.Client)."""

    def __init__(self, client: Client):
        lock = threading.Lock()
        self.statuses: list[int] = []
        statuses = self.statuses

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    reply = client.http.request("POST", self.path, body=body, headers={
                        k.lower(): v for k, v in self.headers.items()})
                statuses.append(reply.status_code)
                self.send_response(reply.status_code)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/webhooks/registry"


@pytest.fixture
def stack(tmp_path, monkeypatch) -> Iterator[tuple]:
    require_tools()
    monkeypatch.setenv("INTEGRATED_REGISTRY_INSECURE", "true")
    store = MemoryStore()
    with Client(app) as client:
        forwarder = Forwarder(client)
        registry = start_registry(tmp_path / "registry", "plain", notifications={"endpoints": [{
            "name": "imagestreams", "url": forwarder.url, "timeout": "2s", "threshold": 5,
            "backoff": "1s", "headers": {"Authorization": [f"Bearer {SECRET}"]}}]})
        services = wiring.Services(store, registry.host,
                                   import_settings=ImportSettings(allow_list="127.0.0.0/8"))
        services.webhook_secret = SECRET
        wiring.use(services)
        try:
            yield registry, store, client, forwarder
        finally:
            wiring.use(None)
            registry.close()
            forwarder.server.shutdown()


def test_a_push_moves_the_tag_through_the_registry_notification(stack, tmp_path):
    registry, store, _, forwarder = stack
    layout = OciLayout(tmp_path / "layout")
    image = layout.image([{"app": b"hello"}])
    layout.tag("v1", image)
    registry.push(layout, "v1", "shop/web:latest")
    deadline = time.monotonic() + 30
    tag = None
    while time.monotonic() < deadline:
        tag = store.get_tag("shop", "web", "latest")
        if tag is not None and tag.head is not None:
            break
        time.sleep(0.2)
    assert tag is not None and tag.head.image == image.manifest.digest, forwarder.statuses
    assert tag.head.docker_image_reference == f"{registry.host}/shop/web@{image.manifest.digest}"
    assert store.get_image(image.manifest.digest).docker_image_metadata.architecture == "amd64"


def test_a_notification_without_the_secret_is_refused(stack):
    _, store, client, _ = stack
    body = json.dumps({"events": []})
    for headers in [{}, {"authorization": "Bearer wrong"}]:
        reply = client.http.request("POST", "/webhooks/registry", body=body, headers={
            "content-type": "application/vnd.docker.distribution.events.v1+json", **headers})
        assert reply.status_code == 401
        assert json.loads(reply.body)["reason"] == "Unauthorized"
    reply = client.http.request("POST", "/webhooks/registry", body=body, headers={
        "content-type": "application/vnd.docker.distribution.events.v1+json",
        "authorization": f"Bearer {SECRET}"})
    assert reply.status_code == 200
