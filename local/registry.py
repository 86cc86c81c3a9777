"""A local distribution registry whose pushes reach the service as notifications.

Debian's `docker-registry` (CNCF distribution), storing images under the state directory.
Its notifications go to the app's webhook route with the shared secret the app is given
as REGISTRY_WEBHOOK_SECRET, as a registry in front of the deployed service would send them.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

import yaml

from .processes import Child, spawn, wait_for_port
from .settings import ROOT, Settings

BINARY, PACKAGE = "docker-registry", "docker-registry"
WEBHOOK = "/webhooks/registry"


def ensure_installed() -> str:
    """The registry's path; installed with apt-get when missing and running as root."""
    found = shutil.which(BINARY)
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit(f"make run needs the distribution registry: sudo apt-get install "
                         f"{PACKAGE} (then run make run again)")
    print(f"installing {PACKAGE} (the local registry) with apt-get ...", flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "env": {**os.environ,
                                                  "DEBIAN_FRONTEND": "noninteractive"}}
    install = ["apt-get", "install", "-y", "-qq", PACKAGE]
    if subprocess.run(install, **quiet).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True, **quiet)
        subprocess.run(install, check=True, **quiet)
    return shutil.which(BINARY) or BINARY


def configure(settings: Settings, webhook_secret: str) -> Path:
    directory = settings.state_dir / "registry"
    directory.mkdir(parents=True, exist_ok=True)
    config = {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(directory / "storage")},
                    "delete": {"enabled": True}},
        "http": {"addr": settings.registry, "secret": secrets.token_hex(16)},
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
