"""The service's own registry is read with tokens signed in-process, never from its realm.

The realm of `make run`'s registry is the API itself, which imports may not reach; so the
client signs the registry's pull token when `own_tokens` gives one, and asks the realm
only for other registries (own_tokens answers None).
"""
from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest

from chalicelib.adapters.registry_token_key import PemSigningKey
from chalicelib.registry import RegistryClient, RegistryUnauthorized
from testbed.oci_layout import BuiltImage
from testbed.registry import ISSUER, SERVICE, RegistryServer
from tests.registry.conftest import FAST, LOOPBACK


def signer_for(registry: RegistryServer, directory: Path) -> PemSigningKey:
    """The test registry's own key (RSA, trusted by it), as the app reads its key file."""
    assert registry.keypair is not None
    pem = directory / "token-signing.pem"
    pem.write_bytes(registry.keypair.key_path.read_bytes()
                    + registry.keypair.cert_path.read_bytes())
    return PemSigningKey(pem)


def test_the_client_signs_its_own_registrys_tokens(token_registry: RegistryServer,
                                                   private_image: BuiltImage,
                                                   tmp_path: Path) -> None:
    signer = signer_for(token_registry, tmp_path)
    asked: list[tuple[str, str, str]] = []

    def own_tokens(registry: str, service: str, scope: str) -> str | None:
        asked.append((registry, service, scope))
        now = int(time.time())
        name = scope.split(":")[1]
        return signer.sign({"iss": ISSUER, "sub": "system:imagestreams", "aud": SERVICE,
                            "iat": now, "nbf": now, "exp": now + 300,
                            "jti": secrets.token_hex(8),
                            "access": [{"type": "repository", "name": name,
                                        "actions": ["pull"]}]})

    before = len(token_registry.token_server.requests)
    client = RegistryClient(policy=LOOPBACK, settings=FAST, own_tokens=own_tokens)
    reference = f"{token_registry.host}/private/app:1.0"
    assert client.fetch_image(reference, insecure=True).digest == private_image.digest
    assert asked == [(token_registry.host, SERVICE, "repository:private/app:pull")]
    assert len(token_registry.token_server.requests) == before  # the realm was not asked


def test_other_registries_are_asked_through_their_realm(token_registry: RegistryServer,
                                                        private_image: BuiltImage) -> None:
    client = RegistryClient(policy=LOOPBACK, settings=FAST,
                            credentials=lambda _registry: None,
                            own_tokens=lambda _registry, _service, _scope: None)
    before = len(token_registry.token_server.requests)
    # Anonymous at the realm: a token with no access, so the registry still refuses.
    with pytest.raises(RegistryUnauthorized):
        client.resolve(f"{token_registry.host}/private/app:1.0", insecure=True)
    assert len(token_registry.token_server.requests) > before
