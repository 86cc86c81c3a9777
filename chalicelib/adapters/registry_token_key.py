"""The key that signs the integrated registry's tokens, read from a PEM file.

The file holds the private key and its certificate, the one the registry trusts
(`auth.token.rootcertbundle`). Tokens carry the certificate in their `x5c` header, which
CNCF distribution checks against that bundle before it checks the signature. EC P-256 keys
sign ES256, RSA keys RS256.

Only `make run` has such a key (REGISTRY_TOKEN_KEY_FILE): in AWS the integrated registry is
ECR, which authenticates with IAM. So `cryptography`, a development dependency, is imported
when the first token is signed, and the Lambda package needs none.
"""
from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class PemSigningKey:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._loaded: tuple[Any, str, str] | None = None  # key, algorithm, x5c entry

    def __repr__(self) -> str:
        return f"PemSigningKey({str(self.path)!r})"

    def sign(self, claims: Mapping[str, Any]) -> str:
        """`claims` as a compact JWS with the certificate in `x5c`."""
        key, algorithm, certificate = self._load()
        header = {"typ": "JWT", "alg": algorithm, "x5c": [certificate]}
        signing_input = ".".join(_base64url(json.dumps(part, separators=(",", ":")).encode())
                                 for part in (header, dict(claims)))
        return f"{signing_input}.{_base64url(_signature(key, signing_input.encode()))}"

    def _load(self) -> tuple[Any, str, str]:
        with self._lock:
            if self._loaded is None:
                from cryptography import x509
                from cryptography.hazmat.primitives import serialization
                from cryptography.hazmat.primitives.asymmetric import ec, rsa
                data = self.path.read_bytes()
                key = serialization.load_pem_private_key(data, password=None)
                certificate = x509.load_pem_x509_certificate(data)
                if certificate.public_key() != key.public_key():
                    raise ValueError(f"{self.path}: the certificate is not the key's")
                if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
                    algorithm = "ES256"
                elif isinstance(key, rsa.RSAPrivateKey):
                    algorithm = "RS256"
                else:
                    raise ValueError(f"{self.path}: an EC P-256 or RSA key is needed")
                der = certificate.public_bytes(serialization.Encoding.DER)
                self._loaded = (key, algorithm, base64.b64encode(der).decode("ascii"))
            return self._loaded


def _signature(key: Any, data: bytes) -> bytes:
    """JWS signatures: RS256 as PKCS#1 v1.5; ES256 as r and s, 32 bytes each (not DER)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
