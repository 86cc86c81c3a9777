"""ImageStreamImport: import images (or a repository's tags) into a stream, or preview it."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import Field

from .image import Image
from .meta import API_VERSION, Model, ObjectMeta
from .stream import ImageStream, ObjectReference, TagImportPolicy, TagReferencePolicy


class LocalObjectReference(Model):
    name: str = ""


class ImageImportSpec(Model):
    from_: ObjectReference = Field(alias="from")
    to: Optional[LocalObjectReference] = None
    import_policy: TagImportPolicy = Field(default_factory=TagImportPolicy, alias="importPolicy")
    reference_policy: TagReferencePolicy = Field(default_factory=TagReferencePolicy,
                                                 alias="referencePolicy")
    include_manifest: Optional[bool] = Field(default=None, alias="includeManifest")


class RepositoryImportSpec(Model):
    from_: ObjectReference = Field(alias="from")
    import_policy: TagImportPolicy = Field(default_factory=TagImportPolicy, alias="importPolicy")
    reference_policy: TagReferencePolicy = Field(default_factory=TagReferencePolicy,
                                                 alias="referencePolicy")
    include_manifest: Optional[bool] = Field(default=None, alias="includeManifest")


class ImageStreamImportSpec(Model):
    import_: bool = Field(default=False, alias="import")  # false: a dry run, nothing written
    repository: Optional[RepositoryImportSpec] = None
    images: Optional[list[ImageImportSpec]] = None


class ImportResult(Model):
    """The Status of one import (a Kubernetes Status without kind)."""

    metadata: dict[str, Any] = Field(default_factory=dict)
    status: str = "Success"
    message: Optional[str] = None
    reason: Optional[str] = None
    code: int = 200


class ImageImportStatus(Model):
    status: ImportResult
    image: Optional[Image] = None
    tag: Optional[str] = None
    manifests: Optional[list[Image]] = None  # a manifest list's platform images


class RepositoryImportStatus(Model):
    status: ImportResult
    images: Optional[list[ImageImportStatus]] = None
    additional_tags: Optional[list[str]] = Field(default=None, alias="additionalTags")


class ImageStreamImportStatus(Model):
    import_: Optional[ImageStream] = Field(default=None, alias="import")
    repository: Optional[RepositoryImportStatus] = None
    images: Optional[list[ImageImportStatus]] = None


class ImageStreamImport(Model):
    kind: str = "ImageStreamImport"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ImageStreamImportSpec = Field(default_factory=ImageStreamImportSpec)
    status: Optional[ImageStreamImportStatus] = None
