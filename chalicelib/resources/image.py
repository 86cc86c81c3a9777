"""Image: cluster-scoped, immutable, named by its manifest digest."""
from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from .meta import API_VERSION, ListMeta, Model, ObjectMeta, Time


class DockerConfig(Model):
    """The container config of an image, keeping any field Docker adds."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    cmd: list[str] | None = Field(default=None, alias="Cmd")
    entrypoint: list[str] | None = Field(default=None, alias="Entrypoint")
    env: list[str] | None = Field(default=None, alias="Env")
    exposed_ports: dict[str, Any] | None = Field(default=None, alias="ExposedPorts")
    labels: dict[str, str] | None = Field(default=None, alias="Labels")
    user: str | None = Field(default=None, alias="User")
    working_dir: str | None = Field(default=None, alias="WorkingDir")
    volumes: dict[str, Any] | None = Field(default=None, alias="Volumes")


class DockerImageMetadata(Model):
    """`dockerImageMetadata`: Docker's image JSON; unknown fields are kept as sent."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    kind: str | None = None
    api_version: str | None = Field(default=None, alias="apiVersion")
    id: str | None = Field(default=None, alias="Id")
    created: Time | None = Field(default=None, alias="Created")
    author: str | None = Field(default=None, alias="Author")
    docker_version: str | None = Field(default=None, alias="DockerVersion")
    architecture: str | None = Field(default=None, alias="Architecture")
    os: str | None = Field(default=None, alias="Os")
    size: int | None = Field(default=None, alias="Size")
    config: DockerConfig | None = Field(default=None, alias="Config")


class ImageLayer(Model):
    name: str
    size: int = 0
    media_type: str | None = Field(default=None, alias="mediaType")


class ImageManifest(Model):
    digest: str
    media_type: str | None = Field(default=None, alias="mediaType")
    manifest_size: int | None = Field(default=None, alias="manifestSize")
    architecture: str | None = None
    os: str | None = None
    variant: str | None = None


class Image(Model):
    kind: str = "Image"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    docker_image_reference: str | None = Field(default=None, alias="dockerImageReference")
    docker_image_metadata: DockerImageMetadata | None = Field(
        default=None, alias="dockerImageMetadata"
    )
    docker_image_metadata_version: str | None = Field(
        default=None, alias="dockerImageMetadataVersion"
    )
    docker_image_manifest_media_type: str | None = Field(
        default=None, alias="dockerImageManifestMediaType"
    )
    docker_image_layers: list[ImageLayer] | None = Field(default=None, alias="dockerImageLayers")
    docker_image_manifests: list[ImageManifest] | None = Field(
        default=None, alias="dockerImageManifests"
    )


class ImageList(Model):
    kind: str = "ImageList"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ListMeta = Field(default_factory=ListMeta)
    items: list[Image] = Field(default_factory=list)


__all__ = ["DockerConfig", "DockerImageMetadata", "Image", "ImageLayer", "ImageList",
           "ImageManifest", "Time"]
