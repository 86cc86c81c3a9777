"""ImageStream and the virtual resources derived from it (tags, stream images, mappings)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .image import Image
from .meta import API_VERSION, ListMeta, Model, ObjectMeta, Time

SourceKind = Literal["DockerImage", "ImageStreamImage", "ImageStreamTag"]


class ObjectReference(Model):
    kind: str
    name: str = ""
    namespace: str | None = None


class TagImportPolicy(Model):
    insecure: bool | None = None
    scheduled: bool | None = None
    import_mode: str = Field(default="Legacy", alias="importMode")

    @field_validator("import_mode", mode="before")
    @classmethod
    def _empty_is_legacy(cls, value: object) -> object:
        return "Legacy" if value == "" else value  # the server's default, as for Source below


class TagReferencePolicy(Model):
    type: str = "Source"

    @field_validator("type", mode="before")
    @classmethod
    def _empty_is_source(cls, value: object) -> object:
        # Go clients always send the field; the server defaults "" to Source.
        return "Source" if value == "" else value


class TagReference(Model):
    """A spec tag: where the tag's image comes from."""

    name: str = ""
    annotations: dict[str, str] | None = None
    from_: ObjectReference | None = Field(default=None, alias="from")
    reference: bool | None = None
    generation: int | None = None
    import_policy: TagImportPolicy = Field(default_factory=TagImportPolicy, alias="importPolicy")
    reference_policy: TagReferencePolicy = Field(
        default_factory=TagReferencePolicy, alias="referencePolicy"
    )

    def source_equal(self, other: TagReference) -> bool:
        """Whether two spec tags point at the same source the same way (generation aside)."""
        fields = {"name", "from_", "reference", "import_policy", "reference_policy", "annotations"}
        return self.model_dump(include=fields) == other.model_dump(include=fields)


class TagEvent(Model):
    created: Time
    docker_image_reference: str = Field(default="", alias="dockerImageReference")
    image: str = ""
    generation: int = 0

    def same_target(self, other: TagEvent) -> bool:
        return (
            self.docker_image_reference == other.docker_image_reference
            and self.image == other.image
        )


class TagEventCondition(Model):
    type: str
    status: str
    last_transition_time: Time | None = Field(default=None, alias="lastTransitionTime")
    reason: str | None = None
    message: str | None = None
    generation: int = 0


class NamedTagEventList(Model):
    tag: str
    items: list[TagEvent] = Field(default_factory=list)
    conditions: list[TagEventCondition] | None = None


class ImageLookupPolicy(Model):
    local: bool = False


class ImageStreamSpec(Model):
    lookup_policy: ImageLookupPolicy | None = Field(default=None, alias="lookupPolicy")
    docker_image_repository: str | None = Field(default=None, alias="dockerImageRepository")
    tags: list[TagReference] | None = None

    @field_validator("tags")
    @classmethod
    def _last_of_each_name(cls, tags: list[TagReference] | None
                           ) -> list[TagReference] | None:
        # OpenShift reads the v1 list into a map by name: a repeated name's last entry wins.
        if tags is None:
            return None
        last = {ref.name: index for index, ref in enumerate(tags)}
        return [ref for index, ref in enumerate(tags) if last[ref.name] == index]


class ImageStreamStatus(Model):
    docker_image_repository: str = Field(default="", alias="dockerImageRepository")
    public_docker_image_repository: str | None = Field(
        default=None, alias="publicDockerImageRepository"
    )
    tags: list[NamedTagEventList] | None = None


class ImageStream(Model):
    kind: str = "ImageStream"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ImageStreamSpec = Field(default_factory=ImageStreamSpec)
    status: ImageStreamStatus | None = None


class ImageStreamList(Model):
    kind: str = "ImageStreamList"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ListMeta = Field(default_factory=ListMeta)
    items: list[ImageStream] = Field(default_factory=list)


class ImageStreamTag(Model):
    kind: str = "ImageStreamTag"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    tag: TagReference | None = None
    generation: int = 0
    lookup_policy: ImageLookupPolicy = Field(default_factory=ImageLookupPolicy,
                                             alias="lookupPolicy")
    conditions: list[TagEventCondition] | None = None
    image: Image = Field(default_factory=Image)


class ImageStreamTagList(Model):
    kind: str = "ImageStreamTagList"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ListMeta = Field(default_factory=ListMeta)
    items: list[ImageStreamTag] = Field(default_factory=list)


class ImageStreamImage(Model):
    kind: str = "ImageStreamImage"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    image: Image = Field(default_factory=Image)


class ImageStreamMapping(Model):
    kind: str = "ImageStreamMapping"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    image: Image
    tag: str


__all__ = [
    "ImageLookupPolicy", "ImageStream", "ImageStreamImage", "ImageStreamList",
    "ImageStreamMapping", "ImageStreamSpec", "ImageStreamStatus", "ImageStreamTag",
    "ImageStreamTagList", "NamedTagEventList", "ObjectReference", "SourceKind", "TagEvent",
    "TagEventCondition", "TagImportPolicy", "TagReference", "TagReferencePolicy",
]
