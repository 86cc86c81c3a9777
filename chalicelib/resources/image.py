"""Image: cluster-scoped, immutable, named by its manifest digest."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import ConfigDict, Field

from .meta import API_VERSION, ListMeta, Model, ObjectMeta, Time


class DockerConfig(Model):
    """The container config of an image, keeping any field Docker adds."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    cmd: Optional[list[str]] = Field(default=None, alias="Cmd")
    entrypoint: Optional[list[str]] = Field(default=None, alias="Entrypoint")
    env: Optional[list[str]] = Field(default=None, alias="Env")
    exposed_ports: Optional[dict[str, Any]] = Field(default=None, alias="ExposedPorts")
    labels: Optional[dict[str, str]] = Field(default=None, alias="Labels")
    user: Optional[str] = Field(default=None, alias="User")
    working_dir: Optional[str] = Field(default=None, alias="WorkingDir")
    volumes: Optional[dict[str, Any]] = Field(default=None, alias="Volumes")


class DockerImageMetadata(Model):
    """`dockerImageMetadata`: Docker's image JSON; unknown fields are kept as sent."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    kind: Optional[str] = None
    api_version: Optional[str] = Field(default=None, alias="apiVersion")
    id: Optional[str] = Field(default=None, alias="Id")
    created: Optional[Time] = Field(default=None, alias="Created")
    author: Optional[str] = Field(default=None, alias="Author")
    docker_version: Optional[str] = Field(default=None, alias="DockerVersion")
    architecture: Optional[str] = Field(default=None, alias="Architecture")
    os: Optional[str] = Field(default=None, alias="Os")
    size: Optional[int] = Field(default=None, alias="Size")
    config: Optional[DockerConfig] = Field(default=None, alias="Config")


class ImageLayer(Model):
    name: str
    size: int = 0
    media_type: Optional[str] = Field(default=None, alias="mediaType")


class ImageManifest(Model):
    digest: str
    media_type: Optional[str] = Field(default=None, alias="mediaType")
    manifest_size: Optional[int] = Field(default=None, alias="manifestSize")
    architecture: Optional[str] = None
    os: Optional[str] = None
    variant: Optional[str] = None


class Image(Model):
    kind: str = "Image"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    docker_image_reference: Optional[str] = Field(default=None, alias="dockerImageReference")
    docker_image_metadata: Optional[DockerImageMetadata] = Field(
        default=None, alias="dockerImageMetadata"
    )
    docker_image_metadata_version: Optional[str] = Field(
        default=None, alias="dockerImageMetadataVersion"
    )
    docker_image_manifest_media_type: Optional[str] = Field(
        default=None, alias="dockerImageManifestMediaType"
    )
    docker_image_layers: Optional[list[ImageLayer]] = Field(default=None, alias="dockerImageLayers")
    docker_image_manifests: Optional[list[ImageManifest]] = Field(
        default=None, alias="dockerImageManifests"
    )


class ImageList(Model):
    kind: str = "ImageList"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ListMeta = Field(default_factory=ListMeta)
    items: list[Image] = Field(default_factory=list)


__all__ = ["DockerConfig", "DockerImageMetadata", "Image", "ImageLayer", "ImageList",
           "ImageManifest", "Time"]
