"""HTTPS with verification by default; `insecure` allows unverified TLS, then plain HTTP."""
from __future__ import annotations

import pytest

from chalicelib.registry import ClientSettings, ConnectionFailed, RegistryClient
from testbed.oci_layout import OciLayout
from testbed.registry import RegistryServer
from tests.registry.conftest import FAST, LOOPBACK, Pushed


@pytest.fixture(scope="module")
def tls_image(tls_registry: RegistryServer, pushed: Pushed, layout: OciLayout) -> str:
    tls_registry.push(layout, "single", "demo/tls:1.0")
    return pushed.single.digest


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_verified_tls_with_a_private_ca(tls_registry: RegistryServer, tls_image: str,
                                        host: str) -> None:
    # By name, the connection is pinned to the checked address and the certificate is
    # still verified against the name.
    settings = ClientSettings(ca_bundle=str(tls_registry.keypair.cert_path))
    client = RegistryClient(policy=LOOPBACK, settings=settings)
    reference = f"{host}:{tls_registry.port}/demo/tls:1.0"
    assert client.resolve(reference) == tls_image
    assert client.fetch_image(reference).digest == tls_image


def test_unverifiable_certificate_is_refused(tls_registry: RegistryServer, tls_image: str) -> None:
    client = RegistryClient(policy=LOOPBACK, settings=FAST)
    with pytest.raises(ConnectionFailed) as error:
        client.resolve(f"{tls_registry.host}/demo/tls:1.0")
    assert "certificate verify failed" in str(error.value)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_insecure_uses_unverified_tls_first(tls_registry: RegistryServer, tls_image: str) -> None:
    client = RegistryClient(policy=LOOPBACK, settings=FAST)
    assert client.resolve(f"{tls_registry.host}/demo/tls:1.0", insecure=True) == tls_image
    assert client.counter.snapshot() == {tls_registry.host: 1}  # HTTPS answered: no HTTP try


def test_plain_http_only_when_insecure(plain_registry: RegistryServer, pushed: Pushed) -> None:
    client = RegistryClient(policy=LOOPBACK, settings=FAST)
    with pytest.raises(ConnectionFailed):
        client.resolve(f"{plain_registry.host}/demo/oci:1.0")
    assert client.counter.total == 1
    assert client.resolve(f"{plain_registry.host}/demo/oci:1.0", insecure=True) == pushed.single.digest
