"""A local distribution registry whose pushes reach the service as notifications.

Debian's `docker-registry` (CNCF distribution), storing images under the state directory.
Its notifications go to the app's webhook route with the shared secret the app is given
as REGISTRY_WEBHOOK_SECRET, as a registry in front of the deployed service would send them.

It authenticates as OpenShift's integrated registry does, with the service's own tokens:
its token realm is the app's token endpoint, whose tokens it trusts by the certificate of
the key the app signs them with (REGISTRY_TOKEN_KEY_FILE, made anew at every start).
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chalicelib.services.registry_tokens import ISSUER, SERVICE

from .files import PUBLIC, write_file
from .processes import Child, spawn, wait_for_port
from .settings import ROOT, Settings

BINARY, PACKAGE = "docker-registry", "docker-registry"
WEBHOOK = "/webhooks/registry"
TOKEN_REALM = "/registry/token"
# The certificate only carries the key to the registry, which checks its dates: it outlives
# any run; a new key is made at every start.
TOKEN_CERTIFICATE_LIFETIME = dt.timedelta(days=365)


def ensure_installed() -> str:
    """The registry's path; installed with apt-get when missing and running as root."""
    found = shutil.which(BINARY)
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit(f"make run needs the distribution registry: sudo apt-get install "
                         f"{PACKAGE} (then run make run again)")
    print(f"installing {PACKAGE} (the local registry) with apt-get ...", flush=True)
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def apt_get(*arguments: str, check: bool = False) -> int:
        return subprocess.run(["apt-get", *arguments], stdout=subprocess.DEVNULL,
                              env=environment, check=check).returncode

    install = ("install", "-y", "-qq", PACKAGE)
    if apt_get(*install) != 0:
        apt_get("update", "-qq", check=True)
        apt_get(*install, check=True)
    return shutil.which(BINARY) or BINARY


def token_key_file(settings: Settings) -> Path:
    """The app's REGISTRY_TOKEN_KEY_FILE: the signing key and its certificate, as PEM."""
    return settings.state_dir / "registry" / "token-signing.pem"


def write_token_key(key_file: Path, now: dt.datetime) -> Path:
    """A new signing key for the registry's tokens, with its self-signed certificate, into
    `key_file` (the user's alone) and the certificate alone beside it, for the registry
    to trust; returns the certificate's path."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imagestreams registry tokens")])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(hours=1))
                   .not_valid_after(now + TOKEN_CERTIFICATE_LIFETIME)
                   .sign(key, hashes.SHA256()))
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
    write_file(key_file, key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()) + certificate_pem)
    certificate_file = key_file.with_suffix(".crt")
    write_file(certificate_file, certificate_pem, PUBLIC)
    return certificate_file


def configure(settings: Settings, webhook_secret: str) -> Path:
    directory = settings.state_dir / "registry"
    directory.mkdir(parents=True, exist_ok=True)
    certificate = write_token_key(token_key_file(settings), dt.datetime.now(dt.UTC))
    config = {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(directory / "storage")},
                    "delete": {"enabled": True}},
        "http": {"addr": settings.registry, "secret": secrets.token_hex(16)},
        "auth": {"token": {"realm": settings.api_url + TOKEN_REALM, "service": SERVICE,
                           "issuer": ISSUER, "rootcertbundle": str(certificate)}},
        "notifications": {"endpoints": [{
            "name": "imagestreams",
            "url": settings.api_url + WEBHOOK,
            "headers": {"Authorization": [f"Bearer {webhook_secret}"]},
            "timeout": "5s", "threshold": 3, "backoff": "2s",
            # Blob uploads and pulls change no tag; only manifest pushes matter.
            "ignoredmediatypes": ["application/octet-stream"],
            "ignore": {"actions": ["pull"]},
        }]},
    }
    path = directory / "config.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    path.chmod(0o600)  # it holds the webhook secret
    return path


def start_registry(settings: Settings, binary: str, webhook_secret: str,
                   env: dict[str, str]) -> Child:
    config = configure(settings, webhook_secret)
    child = spawn("registry", [binary, "serve", str(config)], env, ROOT,
                  log=settings.state_dir / "logs" / "registry.log")
    wait_for_port(child, settings.registry_port)
    return child
