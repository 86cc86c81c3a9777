"""moto ECR and DynamoDB, with image blobs served from loopback for the one call moto lacks."""
from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.adapters.ecr_images import EcrImages
from chalicelib.services.ecr_pushes import EcrPushes
from chalicelib.services.pushes import PushService
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService
from testbed.dynamodb import REGION, mocked_table

EVENTS = Path(__file__).resolve().parents[1] / "events"
ACCOUNT = "123456789012"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def sha(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


class BlobServer:
    """Serves blobs by digest on 127.0.0.1, standing in for ECR's presigned S3 URLs."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        blobs = self.blobs

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                body = blobs.get(self.path.rsplit("/", 1)[-1])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, digest: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/blobs/{digest}"


class EcrWithDownloads:
    """The moto ECR client, plus get_download_url_for_layer, which moto does not implement:
    it returns a loopback URL of the BlobServer. Every other call goes to moto unchanged."""

    def __init__(self, real: Any, blobs: BlobServer):
        self.real = real
        self.blobs = blobs

    def get_download_url_for_layer(self, repositoryName: str, layerDigest: str) -> dict:  # noqa: N803
        return {"downloadUrl": self.blobs.url(layerDigest), "layerDigest": layerDigest}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@dataclass
class Registry:
    """ECR (moto) plus the services a push goes through."""

    ecr: Any
    blobs: BlobServer
    pushes: EcrPushes
    streams: StreamService
    tags: StreamTagService
    store: Any
    pushed: dict[str, str] = field(default_factory=dict)

    def image(self, arch: str = "amd64", cmd: str = "/bin/app") -> tuple[bytes, str]:
        """A single-platform Docker schema2 manifest whose config the blob server holds."""
        config = json.dumps({"architecture": arch, "os": "linux", "created":
                             "2026-11-01T10:00:00Z", "config": {"Cmd": [cmd],
                                                               "Env": ["A=1"]}}).encode()
        self.blobs.blobs[sha(config)] = config
        layer = sha(f"layer-{arch}-{cmd}".encode())
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "size": len(config), "digest": sha(config)},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": 1000, "digest": layer}],
        }).encode()
        return manifest, DOCKER_MANIFEST

    def push(self, repository: str, tag: str, manifest: bytes, media_type: str) -> str:
        """Put the manifest in ECR (tag "" pushes it by digest) and return its digest."""
        digest = sha(manifest)
        kwargs = {"imageTag": tag} if tag else {}
        self.ecr.put_image(repositoryName=repository, imageManifest=manifest.decode(),
                           imageManifestMediaType=media_type, imageDigest=digest, **kwargs)
        return digest

    def event(self, repository: str, tag: str, digest: str,
              fixture: str = "ecr_image_push.json") -> dict:
        """A real ECR event payload with this push's repository, tag and digest."""
        event = copy.deepcopy(json.loads((EVENTS / fixture).read_text()))
        event["detail"].update({"repository-name": repository, "image-digest": digest,
                                "image-tag": tag})
        return event


@contextmanager
def ecr_registry(store: Any) -> Iterator[Registry]:
    """moto ECR (inside an active mock_aws) with the push services over `store`."""
    ecr = boto3.client("ecr", region_name=REGION, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    for repository in ("shop/web", "shop/db", "unmapped"):
        ecr.create_repository(repositoryName=repository)
    blobs = BlobServer()
    streams, tags = StreamService(store, REGISTRY), StreamTagService(store, REGISTRY)
    service = PushService(store, streams, tags)
    pushes = EcrPushes(EcrImages(EcrWithDownloads(ecr, blobs)), service, store, REGISTRY)
    try:
        yield Registry(ecr, blobs, pushes, streams, tags, store)
    finally:
        blobs.server.shutdown()


@pytest.fixture
def registry() -> Iterator[Registry]:
    with mocked_table(stream=False) as table, ecr_registry(table.store()) as registry:
        yield registry
