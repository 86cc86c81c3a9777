"""Registry client tests: real registries (session scoped), images pushed once, a connect guard."""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.registry import AddressPolicy, ClientSettings, RegistryClient
from testbed.oci_layout import BuiltImage, BuiltIndex, OciLayout
from testbed.registry import (  # noqa: F401
    RegistryServer,
    basic_registry,
    plain_registry,
    tls_registry,
    token_registry,
)

LOOPBACK = AddressPolicy(["127.0.0.0/8"])
FAST = ClientSettings(connect_timeout=2.0, read_timeout=5.0, total_timeout=15.0)


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every TCP connect a test makes, in order. Non-loopback ones are refused here too, so
    a bug in the client's address checks cannot send traffic off this machine."""
    attempts: list[str] = []
    original = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0])
            attempts.append(host)
            if not ipaddress.ip_address(host.split("%")[0]).is_loopback:
                raise ConnectionRefusedError(f"test guard: no connection to {host}")
        return original(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


@pytest.fixture
def client() -> RegistryClient:
    return RegistryClient(policy=LOOPBACK, settings=FAST)


@pytest.fixture(scope="session")
def layout(tmp_path_factory: pytest.TempPathFactory) -> OciLayout:
    return OciLayout(tmp_path_factory.mktemp("oci-layout"))


@dataclass(frozen=True)
class Pushed:
    """What the plain registry holds: `demo/oci:1.0` (OCI), `demo/docker:1.0` (Docker
    schema 2, converted by skopeo from the same image) and `demo/multi:1.0` (an OCI index
    of linux/amd64 and linux/arm64/v8)."""

    registry: RegistryServer
    single: BuiltImage
    index: BuiltIndex
    docker_manifest: bytes  # as skopeo reads it back


@pytest.fixture(scope="session")
def pushed(plain_registry: RegistryServer, layout: OciLayout) -> Pushed:  # noqa: F811
    # The first and third layers are the same blob: Size counts it once.
    single = layout.image([{"etc/motd": b"hello\n"}, {"srv/app.txt": b"x" * 4000},
                           {"etc/motd": b"hello\n"}])
    layout.tag("single", single)
    amd64 = layout.image([{"arch": b"amd64\n"}])
    arm64 = layout.image([{"arch": b"arm64\n"}], architecture="arm64", variant="v8")
    index = layout.index([amd64, arm64])
    layout.tag("multi", index)
    plain_registry.push(layout, "single", "demo/oci:1.0")
    plain_registry.push(layout, "single", "demo/docker:1.0", docker_format=True)
    plain_registry.push(layout, "multi", "demo/multi:1.0", all_images=True)
    return Pushed(plain_registry, single, index, plain_registry.raw_manifest("demo/docker:1.0"))


@pytest.fixture(scope="session")
def private_image(basic_registry: RegistryServer, token_registry: RegistryServer,  # noqa: F811
                  pushed: Pushed, layout: OciLayout) -> BuiltImage:
    """`private/app:1.0` pushed (with credentials) to the basic and token registries."""
    for registry in (basic_registry, token_registry):
        registry.push(layout, "single", "private/app:1.0")
    return pushed.single
