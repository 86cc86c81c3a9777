"""An in-process API over a fresh in-memory store for each test."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.services.ports import StreamStore
from testbed.auth import admin_headers

V1 = "/apis/image.openshift.io/v1"
REGISTRY = "registry.example.test:5000"


class Api:
    """Thin JSON helper over chalice.test.Client; `headers` go with every request."""

    def __init__(self, client: Client, headers: dict[str, str] | None = None):
        self.client = client
        self.headers = headers or {}

    def request(self, method: str, path: str, body: Any = None,
                content_type: str = "application/json", raw: bytes | None = None):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        headers = {"content-type": content_type} if data is not None else {}
        response = self.client.http.request(method, path, body=data,
                                            headers={**self.headers, **headers})
        response.data = json.loads(response.body) if response.body else None
        return response

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, body: Any):
        return self.request("POST", path, body)

    def put(self, path: str, body: Any):
        return self.request("PUT", path, body)

    def patch(self, path: str, body: Any):
        return self.request("PATCH", path, body, "application/merge-patch+json")

    def delete(self, path: str, body: Any = None):
        return self.request("DELETE", path, body)


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


def serving(services: wiring.Services) -> Iterator[Api]:
    """The app over these services, called as a cluster admin."""
    wiring.use(services)
    try:
        with Client(app) as client:
            yield Api(client, admin_headers(services))
    finally:
        wiring.use(None)


@pytest.fixture
def api(memory_store: MemoryStore) -> Iterator[Api]:
    """The API as a cluster admin (access control has its own tests)."""
    yield from serving(wiring.Services(memory_store, REGISTRY))


@pytest.fixture
def api_on_each_store(store: StreamStore) -> Iterator[Api]:
    """The API as a cluster admin, once over each store."""
    yield from serving(wiring.Services(store, REGISTRY))


def ns_path(resource: str, name: str = "", namespace: str = "default") -> str:
    path = f"{V1}/namespaces/{namespace}/{resource}"
    return f"{path}/{name}" if name else path


def digest(char: str) -> str:
    return "sha256:" + char * 64


def mapping(stream: str, tag: str, image_digest: str, namespace: str = "default") -> dict:
    return {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
        "metadata": {"name": stream, "namespace": namespace}, "tag": tag,
        "image": {"metadata": {"name": image_digest},
                  "dockerImageReference": f"{REGISTRY}/{namespace}/{stream}@{image_digest}"},
    }


def istag(source_kind: str, source_name: str, **extra: Any) -> dict:
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
            "tag": {"from": {"kind": source_kind, "name": source_name}, **extra}}


def refs(value: Any) -> Iterator[str]:
    """Every `$ref` in an OpenAPI document or part of one, at any depth."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "$ref":
                yield inner
            else:
                yield from refs(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from refs(inner)
