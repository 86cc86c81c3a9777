"""`.local/kubeconfig`: kubectl pointed at the local stack's HTTPS API as its cluster-admin.

    KUBECONFIG=.local/kubeconfig kubectl get is

Written at every start, since the token is new each time; mode 0600, as it holds the token.
"""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml

from .files import write_file

NAME = "imagestreams"  # the cluster's and the context's
USER = "imagestreams-admin"


def kubeconfig(server: str, ca_certificate_pem: bytes, token: str,
               namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": NAME, "cluster": {
            "server": server,
            "certificate-authority-data": base64.b64encode(ca_certificate_pem).decode()}}],
        "users": [{"name": USER, "user": {"token": token}}],
        "contexts": [{"name": NAME, "context": {"cluster": NAME, "user": USER,
                                                "namespace": namespace}}],
        "current-context": NAME,
    }


def write_kubeconfig(path: Path, server: str, ca_certificate: Path, token: str) -> None:
    config = kubeconfig(server, ca_certificate.read_bytes(), token)
    write_file(path, yaml.safe_dump(config, sort_keys=False).encode())
