"""ImageStreamImport: import images (or a repository's tags) into a stream, or preview it."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from .image import Image
from .meta import API_VERSION, Model, ObjectMeta
from .stream import ImageStream, ObjectReference, TagImportPolicy, TagReferencePolicy


class LocalObjectReference(Model):
    name: str = ""


class ImageImportSpec(Model):
    from_: ObjectReference = Field(alias="from")
    to: LocalObjectReference | None = None
    import_policy: TagImportPolicy = Field(default_factory=TagImportPolicy, alias="importPolicy")
    reference_policy: TagReferencePolicy = Field(default_factory=TagReferencePolicy,
                                                 alias="referencePolicy")
    include_manifest: bool | None = Field(default=None, alias="includeManifest")


class RepositoryImportSpec(Model):
    from_: ObjectReference = Field(alias="from")
    import_policy: TagImportPolicy = Field(default_factory=TagImportPolicy, alias="importPolicy")
    reference_policy: TagReferencePolicy = Field(default_factory=TagReferencePolicy,
                                                 alias="referencePolicy")
    include_manifest: bool | None = Field(default=None, alias="includeManifest")


class ImageStreamImportSpec(Model):
    import_: bool = Field(default=False, alias="import")  # false: a dry run, nothing written
    repository: RepositoryImportSpec | None = None
    images: list[ImageImportSpec] | None = None


class ImportResult(Model):
    """The Status of one import (a Kubernetes Status without kind)."""

    metadata: dict[str, Any] = Field(default_factory=dict)
    status: str = "Success"
    message: str | None = None
    reason: str | None = None
    code: int = 200


class ImageImportStatus(Model):
    status: ImportResult
    image: Image | None = None
    tag: str | None = None
    manifests: list[Image] | None = None  # a manifest list's platform images


class RepositoryImportStatus(Model):
    status: ImportResult
    images: list[ImageImportStatus] | None = None
    additional_tags: list[str] | None = Field(default=None, alias="additionalTags")


class ImageStreamImportStatus(Model):
    import_: ImageStream | None = Field(default=None, alias="import")
    repository: RepositoryImportStatus | None = None
    images: list[ImageImportStatus] | None = None


class ImageStreamImport(Model):
    kind: str = "ImageStreamImport"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ImageStreamImportSpec = Field(default_factory=ImageStreamImportSpec)
    status: ImageStreamImportStatus | None = None
