"""SSRF rules: refused address classes, the allow-list, redirects into refused addresses."""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator

import pytest

from chalicelib.registry import (
    AddressPolicy,
    ClientSettings,
    InsecureScheme,
    RegistryClient,
    UnsafeAddress,
)
from chalicelib.registry.safety import refused_class
from testbed.oci_layout import OciLayout
from testbed.registry import RegistryServer
from tests.registry.conftest import FAST, LOOPBACK, Pushed
from tests.registry.scripted import Canned, ScriptedServer, image_routes

REFUSED = {
    "169.254.169.254": "link-local",  # the instance metadata service
    "10.0.0.1": "private",
    "192.168.1.1": "private",
    "172.16.0.1": "private",
    "[::1]:5000": "loopback",
    "[fd00::1]": "unique-local",
    "[fe80::1]": "link-local",
    "0.0.0.0:5000": "unspecified",
    "224.0.0.1": "multicast",
    "240.0.0.1": "reserved",
    "100.64.0.1": "non-public",
}


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback port nobody should connect to; the kernel would queue any connection."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


def nothing_connected(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
    except BlockingIOError:
        return True
    return False


@pytest.mark.parametrize("registry", sorted(REFUSED))
@pytest.mark.parametrize("insecure", [False, True])
def test_refused_classes_never_connect(registry: str, insecure: bool, connections: list[str]) -> None:
    client = RegistryClient(policy=LOOPBACK, settings=FAST)
    for call in (client.resolve, client.fetch_image):
        with pytest.raises(UnsafeAddress) as error:
            call(f"{registry}/demo/app:1.0", insecure=insecure)
        assert REFUSED[registry] in str(error.value)
    assert connections == [] and client.counter.total == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_refused_without_an_allow_list(listener: socket.socket, host: str,
                                                   connections: list[str]) -> None:
    port = listener.getsockname()[1]
    client = RegistryClient(settings=FAST)
    with pytest.raises(UnsafeAddress) as error:
        client.resolve(f"{host}:{port}/demo/app:1.0", insecure=True)
    # A literal address may be named with its class; a name says nothing of what it
    # resolves to.
    expected = ("loopback address not in the registry allow-list" if host == "127.0.0.1"
                else "refusing to connect to localhost: its address is not allowed")
    assert expected in str(error.value)
    assert "127.0.0.1" not in str(error.value) or host == "127.0.0.1"
    assert nothing_connected(listener) and connections == []


def test_allow_list_entry_for_one_endpoint(plain_registry: RegistryServer, pushed: Pushed,
                                           listener: socket.socket) -> None:
    client = RegistryClient(policy=AddressPolicy([plain_registry.host]), settings=FAST)
    assert client.resolve(f"{plain_registry.host}/demo/oci:1.0", insecure=True) == pushed.single.digest
    with pytest.raises(UnsafeAddress):
        client.resolve(f"127.0.0.1:{listener.getsockname()[1]}/demo/app:1.0", insecure=True)
    assert nothing_connected(listener)


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/blob",
                                    "http://[::1]:9/blob", "http://localhost:9/blob"])
def test_redirect_into_a_refused_address(layout: OciLayout, pushed: Pushed, target: str,
                                         connections: list[str]) -> None:
    routes = image_routes(layout, pushed.single)
    routes[f"GET /v2/demo/app/blobs/{pushed.single.config_blob.digest}"] = Canned(302, {"Location": target})
    # The registry itself is allowed by endpoint; the redirect target is not.
    with ScriptedServer(routes) as server:
        client = RegistryClient(policy=AddressPolicy([server.host]), settings=FAST)
        with pytest.raises(UnsafeAddress):
            client.fetch_image(f"{server.host}/demo/app:1.0", insecure=True)
    assert set(connections) == {"127.0.0.1"}


def test_redirect_from_https_to_plain_http_is_refused(layout: OciLayout, pushed: Pushed,
                                                      tls_registry: RegistryServer) -> None:
    routes = image_routes(layout, pushed.single)
    with ScriptedServer({}) as plain:
        routes[f"GET /v2/demo/app/blobs/{pushed.single.config_blob.digest}"] = Canned(
            302, {"Location": plain.url("/blob")})
        with ScriptedServer(routes, tls=tls_registry.keypair) as server:
            settings = ClientSettings(ca_bundle=str(tls_registry.keypair.cert_path))
            client = RegistryClient(policy=LOOPBACK, settings=settings)
            with pytest.raises(InsecureScheme):
                client.fetch_image(f"localhost:{server.port}/demo/app:1.0")
        assert plain.seen == []


@pytest.mark.parametrize("address, expected", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("10.0.0.1", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"),
    ("192.168.1.1", "private"), ("fd00::1", "unique-local"), ("fc00::1", "unique-local"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"), ("240.0.0.1", "reserved"), ("100.64.0.1", "non-public"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"),
    ("93.184.216.34", None), ("172.32.0.1", None), ("2606:4700::1111", None),
])
def test_refused_class(address: str, expected: str) -> None:
    assert refused_class(ipaddress.ip_address(address)) == expected


def test_policy_configuration() -> None:
    policy = AddressPolicy.from_config("127.0.0.0/8, ::1/128  registry.local:5000,[fd00::5]:443")
    assert policy.check("127.0.0.5", 80) == [ipaddress.ip_address("127.0.0.5")]
    assert policy.check("[fd00::5]", 443) == [ipaddress.ip_address("fd00::5")]
    with pytest.raises(UnsafeAddress):
        policy.check("[fd00::5]", 444)
    with pytest.raises(UnsafeAddress):
        policy.check("10.1.1.1", 443)
    assert "registry.local:5000" in repr(policy)
    with pytest.raises(ValueError):
        AddressPolicy(["not an entry"])
