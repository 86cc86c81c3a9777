"""Imports against real registries (session scoped), over either store, with a manual clock.

Images are pushed once per session under `imports/` on the shared registries; tests that
change what a tag names push to repositories of their own.
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import itertools
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.adapters.memory_secrets import MemorySecrets
from chalicelib.resources.secrets import Secret
from chalicelib.resources.stream import ImageStream, ImageStreamTag
from chalicelib.services.actor import SERVICE
from chalicelib.services.imports import ImportSettings, NamespaceImporter, RegistryImports
from chalicelib.services.ports import StreamStore
from chalicelib.services.scheduler import CycleReport, Scheduler
from chalicelib.services.secrets import SecretService
from chalicelib.services.stream_imports import StreamImportService
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService
from testbed.auth import admin_headers
from testbed.dynamodb import atomic_requests
from testbed.oci_layout import BuiltImage, BuiltIndex, OciLayout
from testbed.registry import RegistryServer, basic_registry, plain_registry, token_registry  # noqa: F401
from tests.api.conftest import Api

NS = "team"
LOOPBACK = "127.0.0.0/8"
START = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
FAST = dict(request_seconds=3.0, api_seconds=10.0)


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every TCP connect a test makes. Non-loopback ones are refused here as well, so a bug
    in the address checks cannot send traffic off this machine."""
    attempts: list[str] = []
    original = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0])
            attempts.append(f"{host}:{address[1]}")
            if not ipaddress.ip_address(host.split("%")[0]).is_loopback:
                raise ConnectionRefusedError(f"test guard: no connection to {host}")
        return original(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


class Clock:
    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class Stack:
    """The services that import, over one store, sharing a clock and a request counter."""

    def __init__(self, store: StreamStore, **settings: Any):
        self.store = store
        self.clock = Clock()
        self.settings = ImportSettings(**{"allow_list": LOOPBACK, **FAST, **settings})
        self.registries = RegistryImports(store, self.settings, clock=self.clock)
        self.secrets = SecretService(MemorySecrets(), self.clock)
        self.importer = NamespaceImporter(self.registries, self.secrets)
        self.streams = StreamService(store, clock=self.clock, importer=self.importer)
        self.tags = StreamTagService(store, clock=self.clock, importer=self.importer)
        self.imports = StreamImportService(store, self.importer, clock=self.clock)
        self.scheduler = Scheduler(store, self.registries, self.secrets, clock=self.clock)

    @property
    def requests(self) -> int:
        return self.registries.counter.total

    def create(self, name: str, *tags: dict, namespace: str = NS, **metadata: Any) -> ImageStream:
        return self.streams.create(SERVICE, namespace, ImageStream.model_validate(
            {"metadata": {"name": name, **metadata}, "spec": {"tags": list(tags)}}))

    def tag(self, name: str, reference: str, namespace: str = NS, **spec: Any) -> ImageStreamTag:
        """PUT an istag from DockerImage `reference`; `spec` adds importPolicy and the like."""
        body = ImageStreamTag.model_validate(
            {"tag": {"from": {"kind": "DockerImage", "name": reference}, **spec}})
        return self.tags.put(SERVICE, namespace, name, body, create_only=False)[0]

    def status(self, stream: str, tag: str, namespace: str = NS):
        for status in self.streams.get(namespace, stream).status.tags or []:
            if status.tag == tag:
                return status
        return None

    def head(self, stream: str, tag: str, namespace: str = NS) -> tuple[str, str, int] | None:
        status = self.status(stream, tag, namespace)
        if status is None or not status.items:
            return None
        item = status.items[0]
        return item.docker_image_reference, item.image, item.generation

    def conditions(self, stream: str, tag: str, namespace: str = NS) -> list[tuple[str, str]]:
        status = self.status(stream, tag, namespace)
        return [(c.status, c.reason or "") for c in (status.conditions or [])] if status else []

    def add_secret(self, registry: RegistryServer, namespace: str = NS, name: str = "pull") -> None:
        user, password = registry.credentials
        config = {"auths": {registry.host: {"auth": base64.b64encode(
            f"{user}:{password}".encode()).decode()}}}
        self.secrets.create(namespace, Secret.model_validate({
            "metadata": {"name": name}, "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()}}))

    def cycle(self, seconds: float = 120.0, **advance: float) -> CycleReport:
        """Advance the clock (default: one interval) and run a scheduled cycle."""
        self.clock.advance(**(advance or {"minutes": 15}))
        return self.scheduler.run(lambda: seconds)


@pytest.fixture
def stack(store: StreamStore) -> Iterator[Stack]:
    """A Stack per store; imports run in threads, which moto needs serialised."""
    with atomic_requests():
        yield Stack(store)


@pytest.fixture
def api(store: StreamStore) -> Iterator[Api]:
    """The app over HTTP (in process) on either store, importing from loopback registries."""
    services = wiring.Services(store, import_settings=ImportSettings(allow_list=LOOPBACK,
                                                                     **FAST))
    wiring.use(services)
    with atomic_requests(), Client(app) as client:
        yield Api(client, admin_headers(services))
    wiring.use(None)


@pytest.fixture
def memory_stack() -> Stack:
    from chalicelib.adapters.memory_store import MemoryStore
    return Stack(MemoryStore())


@pytest.fixture(scope="session")
def layout(tmp_path_factory: pytest.TempPathFactory) -> OciLayout:
    return OciLayout(tmp_path_factory.mktemp("imports-layout"))


_unique = itertools.count()


def fresh_image(layout: OciLayout) -> tuple[str, BuiltImage]:
    """A new image in `layout` (a new digest every call) and the layout tag naming it."""
    n = next(_unique)
    image = layout.image([{"n.txt": f"image {n}\n".encode()}])
    layout.tag(f"fresh-{n}", image)
    return f"fresh-{n}", image


def push_fresh(registry: RegistryServer, layout: OciLayout, destination: str) -> BuiltImage:
    tag, image = fresh_image(layout)
    registry.push(layout, tag, destination)
    return image


@dataclass(frozen=True)
class Images:
    """On the plain registry: imports/oci:1.0 (OCI), imports/docker:1.0 (Docker schema 2 of
    the same image), imports/multi:1.0 (an OCI index of linux/amd64 and linux/arm64/v8).
    On the basic and token registries: imports/private:1.0 (the OCI image)."""

    plain: RegistryServer
    single: BuiltImage
    index: BuiltIndex
    docker_digest: str


@pytest.fixture(scope="session")
def images(plain_registry: RegistryServer, layout: OciLayout) -> Images:  # noqa: F811
    single = layout.image([{"etc/motd": b"imported\n"}, {"srv/app": b"y" * 3000}])
    layout.tag("single", single)
    amd64 = layout.image([{"arch": b"amd64 import\n"}])
    arm64 = layout.image([{"arch": b"arm64 import\n"}], architecture="arm64", variant="v8")
    index = layout.index([amd64, arm64])
    layout.tag("multi", index)
    plain_registry.push(layout, "single", "imports/oci:1.0")
    plain_registry.push(layout, "single", "imports/docker:1.0", docker_format=True)
    plain_registry.push(layout, "multi", "imports/multi:1.0", all_images=True)
    raw = plain_registry.raw_manifest("imports/docker:1.0")
    return Images(plain_registry, single, index, "sha256:" + hashlib.sha256(raw).hexdigest())


@pytest.fixture(scope="session")
def private(basic_registry: RegistryServer, token_registry: RegistryServer,  # noqa: F811
            images: Images, layout: OciLayout) -> BuiltImage:
    for registry in (basic_registry, token_registry):
        registry.push(layout, "single", "imports/private:1.0")
    return images.single
