"""Manifest media types, parsing, digests, and the Image built from a manifest and config."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from ..domain.reference import DIGEST_RE
from ..resources.image import DockerImageMetadata, Image, ImageLayer, ImageManifest
from ..resources.meta import ObjectMeta
from .errors import DigestMismatch, NoMatchingPlatform, UnexpectedResponse, UnsupportedManifest

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
SCHEMA1 = ("application/vnd.docker.distribution.manifest.v1+json",
           "application/vnd.docker.distribution.manifest.v1+prettyjws")
# All four in one Accept: a registry asked for fewer may down-convert or answer 404.
ACCEPT = ", ".join((DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX))
CONFIG_TYPES = ("application/vnd.docker.container.image.v1+json",
                "application/vnd.oci.image.config.v1+json")
_HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
_SCHEMA1_MESSAGE = ("Docker schema 1 manifests are not supported (deprecated and unsigned); "
                    "push the image again with a current client to get a schema 2 or OCI manifest")


@dataclass(frozen=True)
class Platform:
    """A platform to pick from a manifest list; variant None matches any variant."""

    architecture: str = "amd64"
    os: str = "linux"
    variant: str | None = None

    def matches(self, other: Platform) -> bool:
        return (self.os == other.os and self.architecture == other.architecture
                and (self.variant is None or self.variant == other.variant))

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: Platform | None = None


@dataclass(frozen=True)
class Manifest:
    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]


@dataclass(frozen=True)
class ManifestList:
    media_type: str
    manifests: tuple[Descriptor, ...]


def sha256_digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def verify_digest(body: bytes, expected: str, what: str) -> None:
    """DigestMismatch unless `body` hashes to `expected` (sha256, sha384 or sha512)."""
    algorithm, _, hexdigest = expected.partition(":")
    hasher = _HASHES.get(algorithm.lower())
    if hasher is None:
        raise DigestMismatch(f"{what}: unsupported digest algorithm {algorithm!r}")
    if hasher(body).hexdigest() != hexdigest.lower():
        raise DigestMismatch(f"{what}: content does not match digest {expected}")


def parse_manifest(body: bytes, content_type: str) -> Manifest | ManifestList:
    """A single manifest or a list; schema 1 and unknown kinds are UnsupportedManifest."""
    header_type = content_type.split(";", 1)[0].strip().lower()
    if header_type in SCHEMA1:
        raise UnsupportedManifest(_SCHEMA1_MESSAGE)
    document = _json_object(body, "manifest")
    if document.get("schemaVersion") == 1:
        raise UnsupportedManifest(_SCHEMA1_MESSAGE)
    if document.get("schemaVersion") != 2:
        raise UnsupportedManifest("unsupported manifest schemaVersion "
                                  f"{document.get('schemaVersion')!r}")
    media_type = document.get("mediaType") or header_type
    if media_type not in (DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX):
        # OCI allows leaving mediaType out of the body; the shape then tells which it is.
        media_type = (OCI_INDEX if "manifests" in document
                      else OCI_MANIFEST if "config" in document else media_type)
    if media_type in (DOCKER_LIST, OCI_INDEX):
        entries = document.get("manifests")
        if not isinstance(entries, list):
            raise UnexpectedResponse("manifest list without a manifests array")
        return ManifestList(media_type, tuple(_descriptor(e, with_platform=True) for e in entries))
    if media_type not in (DOCKER_MANIFEST, OCI_MANIFEST):
        raise UnsupportedManifest(f"unsupported manifest media type {media_type or '(none)'}")
    config = _descriptor(document.get("config"))
    if config.media_type not in CONFIG_TYPES:
        raise UnsupportedManifest(f"not a container image: config media type {config.media_type}")
    layers = document.get("layers")
    if not isinstance(layers, list):
        raise UnexpectedResponse("manifest without a layers array")
    return Manifest(media_type, config, tuple(_descriptor(layer) for layer in layers))


def choose_platform(index: ManifestList, preference: Platform | None) -> Descriptor:
    """The first entry matching `preference` (linux/amd64 by default)."""
    wanted = preference or Platform()
    for entry in index.manifests:
        if entry.platform is not None and wanted.matches(entry.platform):
            return entry
    available = ", ".join(str(e.platform) for e in index.manifests if e.platform) or "none"
    raise NoMatchingPlatform(f"no image for platform {wanted} in the manifest list (available: "
                             f"{available})")


def image_from_manifest(name: str, digest: str, manifest: Manifest, config: bytes) -> Image:
    """The Image of a single manifest; `name` is `registry/repository`."""
    document = _json_object(config, "image config")
    layers = [ImageLayer(name=layer.digest, size=layer.size, mediaType=layer.media_type)
              for layer in manifest.layers]
    unique_sizes = {layer.digest: layer.size for layer in manifest.layers}
    fields = {
        "kind": "DockerImage",
        "apiVersion": "1.0",
        "Id": manifest.config.digest,
        "Created": _created(document.get("created")),
        "Author": _text(document.get("author")),
        "DockerVersion": _text(document.get("docker_version")),
        "Architecture": _text(document.get("architecture")),
        "Os": _text(document.get("os")),
        "Size": len(config) + sum(unique_sizes.values()),
        "Config": document.get("config") if isinstance(document.get("config"), dict) else None,
    }
    try:
        metadata = DockerImageMetadata.model_validate(fields)
    except ValidationError as error:
        where = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors()[:3])
        raise UnexpectedResponse(f"the image config of {name}@{digest} has invalid fields: "
                                 f"{where}") from None
    return Image(metadata=ObjectMeta(name=digest), dockerImageReference=f"{name}@{digest}",
                 dockerImageMetadata=metadata, dockerImageMetadataVersion="1.0",
                 dockerImageManifestMediaType=manifest.media_type, dockerImageLayers=layers)


def image_from_list(name: str, digest: str, index: ManifestList) -> Image:
    """The Image of a manifest list: its entries in `dockerImageManifests`, no layers."""
    manifests = [ImageManifest(digest=e.digest, mediaType=e.media_type, manifestSize=e.size,
                               architecture=e.platform.architecture if e.platform else None,
                               os=e.platform.os if e.platform else None,
                               variant=e.platform.variant if e.platform else None)
                 for e in index.manifests]
    return Image(metadata=ObjectMeta(name=digest), dockerImageReference=f"{name}@{digest}",
                 dockerImageMetadata=DockerImageMetadata(kind="DockerImage", apiVersion="1.0"),
                 dockerImageMetadataVersion="1.0", dockerImageManifestMediaType=index.media_type,
                 dockerImageManifests=manifests)


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError:
        raise UnexpectedResponse(f"the {what} is not JSON") from None
    if not isinstance(document, dict):
        raise UnexpectedResponse(f"the {what} is not a JSON object")
    return document


def _descriptor(value: Any, with_platform: bool = False) -> Descriptor:
    if not isinstance(value, dict):
        raise UnexpectedResponse("manifest descriptor is not an object")
    digest, size, media_type = value.get("digest"), value.get("size"), value.get("mediaType")
    if not isinstance(digest, str) or not DIGEST_RE.fullmatch(digest):
        raise UnexpectedResponse("manifest descriptor with an invalid digest")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise UnexpectedResponse(f"manifest descriptor {digest} with an invalid size")
    platform = None
    raw = value.get("platform")
    if with_platform and isinstance(raw, dict) and raw.get("architecture") and raw.get("os"):
        platform = Platform(str(raw["architecture"]), str(raw["os"]), _text(raw.get("variant")))
    return Descriptor(_text(media_type) or "", digest, size, platform)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _created(value: Any) -> datetime | None:
    """RFC 3339 as Go writes it (up to nanoseconds); None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip())
    text = text.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
