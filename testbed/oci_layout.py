"""Build OCI image layouts on disk (layers, configs, manifests, indexes) for skopeo to push."""
from __future__ import annotations

import copy
import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
CREATED = "2024-05-01T12:34:56.123456789Z"
CONTAINER_CONFIG = {
    "Cmd": ["/bin/app", "--serve"],
    "Entrypoint": ["/entrypoint.sh"],
    "Env": ["PATH=/usr/local/bin:/usr/bin", "APP_MODE=test"],
    "ExposedPorts": {"8080/tcp": {}},
    "Labels": {"org.example.name": "demo"},
    "User": "1001",
    "WorkingDir": "/srv",
    "Volumes": {"/data": {}},
}


@dataclass(frozen=True)
class Blob:
    media_type: str
    digest: str
    size: int

    def descriptor(self) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class BuiltImage:
    manifest: Blob
    config: dict
    config_blob: Blob
    layers: tuple[Blob, ...]

    @property
    def digest(self) -> str:
        return self.manifest.digest


@dataclass(frozen=True)
class BuiltIndex:
    manifest: Blob
    images: tuple[BuiltImage, ...]

    @property
    def digest(self) -> str:
        return self.manifest.digest


def layer_tarball(files: dict[str, bytes]) -> tuple[bytes, str]:
    """A reproducible gzip tar of `files` and its diff ID (digest of the uncompressed tar)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    tarball = raw.getvalue()
    return gzip.compress(tarball, mtime=0), "sha256:" + hashlib.sha256(tarball).hexdigest()


class OciLayout:
    """An OCI image layout directory; `tag` names what skopeo copies as `oci:<path>:<tag>`."""

    def __init__(self, path: Path):
        self.path = path
        (path / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (path / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
        self._refs: dict[str, dict] = {}
        self._write_index()

    def blob(self, data: bytes, media_type: str) -> Blob:
        digest = hashlib.sha256(data).hexdigest()
        (self.path / "blobs" / "sha256" / digest).write_bytes(data)
        return Blob(media_type, f"sha256:{digest}", len(data))

    def image(self, layers: list[dict[str, bytes]], *, architecture: str = "amd64",
              os: str = "linux", variant: str | None = None,
              container_config: dict | None = None) -> BuiltImage:
        """An image whose layers hold `layers` (equal dicts give one repeated blob)."""
        built = [layer_tarball(files) for files in layers]
        layer_blobs = tuple(self.blob(data, OCI_LAYER) for data, _ in built)
        config = {
            "created": CREATED, "author": "Image Streams Tests", "architecture": architecture,
            "os": os, "config": copy.deepcopy(container_config or CONTAINER_CONFIG),
            "rootfs": {"type": "layers", "diff_ids": [diff_id for _, diff_id in built]},
            "history": [{"created": CREATED, "created_by": f"layer {i}"}
                        for i in range(len(built))],
        }
        if variant:
            config["variant"] = variant
        config_blob = self.blob(json.dumps(config, sort_keys=True).encode(), OCI_CONFIG)
        manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                    "config": config_blob.descriptor(),
                    "layers": [blob.descriptor() for blob in layer_blobs]}
        blob = self.blob(json.dumps(manifest, indent=2).encode(), OCI_MANIFEST)
        return BuiltImage(blob, config, config_blob, layer_blobs)

    def index(self, images: list[BuiltImage]) -> BuiltIndex:
        entries = []
        for image in images:
            platform = {"architecture": image.config["architecture"], "os": image.config["os"]}
            if image.config.get("variant"):
                platform["variant"] = image.config["variant"]
            entries.append({**image.manifest.descriptor(), "platform": platform})
        document = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        index = self.blob(json.dumps(document, indent=2).encode(), OCI_INDEX)
        return BuiltIndex(index, tuple(images))

    def tag(self, name: str, target: BuiltImage | BuiltIndex) -> None:
        self._refs[name] = {**target.manifest.descriptor(),
                            "annotations": {"org.opencontainers.image.ref.name": name}}
        self._write_index()

    def _write_index(self) -> None:
        document = {"schemaVersion": 2, "mediaType": OCI_INDEX,
                    "manifests": list(self._refs.values())}
        (self.path / "index.json").write_text(json.dumps(document, indent=2))
