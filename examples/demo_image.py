"""Write a tiny container image as an OCI layout, for trying the examples on `make run`
without a network or Docker: skopeo copies it from `oci:<directory>:<tag>`.

Each tag named gets its own image: one layer holding `/version.txt` with the tag's name.
The bytes are the same on every run (no timestamps), so the same tag gives the same
digest, and the walkthroughs' outputs show the digests you get.

    python -m examples.demo_image DIRECTORY TAG [TAG ...]
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _blob(layout: Path, data: bytes, media_type: str) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}


def _layer(text: str) -> tuple[bytes, str]:
    """A gzipped tar of one file, and the digest of the tar (the config's diff_id)."""
    content = text.encode()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w", format=tarfile.PAX_FORMAT) as tar:
        member = tarfile.TarInfo("version.txt")
        member.size, member.mtime, member.mode = len(content), 0, 0o644
        tar.addfile(member, io.BytesIO(content))
    tar_bytes = archive.getvalue()
    return gzip.compress(tar_bytes, mtime=0), "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


def write_layout(layout: Path, tags: list[str]) -> dict[str, str]:
    """Write (or rewrite) the layout with one image per tag; returns each tag's digest."""
    (layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    manifests, digests = [], {}
    for tag in tags:
        layer, diff_id = _layer(f"{tag}\n")
        config = json.dumps({
            "architecture": "amd64", "os": "linux",
            "config": {"Cmd": ["cat", "/version.txt"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]}}, sort_keys=True).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": MANIFEST,
            "config": _blob(layout, config, "application/vnd.oci.image.config.v1+json"),
            "layers": [_blob(layout, layer, "application/vnd.oci.image.layer.v1.tar+gzip")]},
            sort_keys=True).encode()
        descriptor = _blob(layout, manifest, MANIFEST)
        manifests.append({**descriptor,
                          "annotations": {"org.opencontainers.image.ref.name": tag}})
        digests[tag] = str(descriptor["digest"])
    (layout / "index.json").write_text(json.dumps(
        {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": manifests}))
    return digests


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    for tag, digest in write_layout(Path(argv[0]), argv[1:]).items():
        print(f"{tag} {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
