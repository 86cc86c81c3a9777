"""The integrated registry's token endpoint in tests: a signing key, and tokens read back.

    from testbed.registry_tokens import token_services, verified_claims, basic

`token_services(tmp_path, monkeypatch)` is Services over memory stores whose registry
tokens are signed with a key made for the test (as `make run` makes one);
`verified_claims(jwt)` checks a token's signature against the certificate it carries and
returns its claims, as the registry does against the certificate it trusts.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from local.registry import write_token_key

REGISTRY = "127.0.0.1:5050"


def token_services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   registry: str = REGISTRY) -> wiring.Services:
    key_file = tmp_path / "token-signing.pem"
    write_token_key(key_file, dt.datetime.now(dt.UTC))
    monkeypatch.setenv("REGISTRY_TOKEN_KEY_FILE", str(key_file))
    return wiring.Services(MemoryStore(), registry)


def basic(password: str, username: str = "anything") -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _decoded(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verified_claims(token: str) -> dict[str, Any]:
    """The claims of an ES256 token whose signature the certificate in its `x5c` verifies."""
    header_part, claims_part, signature_part = token.split(".")
    header = json.loads(_decoded(header_part))
    assert header["alg"] == "ES256" and header["typ"] == "JWT", header
    certificate = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    signature = _decoded(signature_part)
    assert len(signature) == 64  # r and s, 32 bytes each, as JWS writes them
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                               int.from_bytes(signature[32:], "big"))
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(der, f"{header_part}.{claims_part}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(_decoded(claims_part))
