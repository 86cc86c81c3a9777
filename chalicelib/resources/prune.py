"""ImagePruneRun (imagestreams.dev/v1, cluster-scoped): one run of the image prune."""
from __future__ import annotations

from pydantic import Field, StrictBool, StrictInt

from .meta import IMAGESTREAMS_GROUP, ListMeta, Model, ObjectMeta, Time

PRUNE_VERSION = f"{IMAGESTREAMS_GROUP}/v1"


class ImagePruneRunSpec(Model):
    """Every field may be left out: the answer shows the default it took."""

    keep_tag_revisions: StrictInt | None = Field(
        default=None, alias="keepTagRevisions",
        description="the newest events each tag keeps, its head among them (default 3)")
    keep_younger_than: str | None = Field(
        default=None, alias="keepYoungerThan",
        description="a Go duration: events and images younger are kept (default 60m)")
    namespaces: list[str] | None = Field(
        default=None, description="the namespaces whose history is pruned (default: all)")
    dry_run: StrictBool | None = Field(
        default=None, alias="dryRun",
        description="count what would be removed, removing nothing (default true)")
    prune_registry: StrictBool | None = Field(
        default=None, alias="pruneRegistry",
        description="also delete the ECR images no stream references (default false)")


class ImagePruneRunScanned(Model):
    streams: int = 0
    tags: int = 0
    images: int = 0
    registry_images: int = Field(default=0, alias="registryImages")


class ImagePruneRunRemoved(Model):
    history_events: int = Field(default=0, alias="historyEvents")
    images: int = 0
    registry_images: int = Field(default=0, alias="registryImages")
    registry_bytes: int = Field(default=0, alias="registryBytes")


class ImagePruneRunStatus(Model):
    phase: str = Field(description="Running, Succeeded or Failed")
    stage: str = Field(description="Streams, Images, Registry or Done")
    start_time: Time | None = Field(default=None, alias="startTime")
    completion_time: Time | None = Field(default=None, alias="completionTime")
    message: str | None = None
    scanned: ImagePruneRunScanned = Field(default_factory=ImagePruneRunScanned)
    removed: ImagePruneRunRemoved = Field(
        default_factory=ImagePruneRunRemoved,
        description="what was removed, or with dryRun what would be")


class ImagePruneRun(Model):
    kind: str = "ImagePruneRun"
    api_version: str = Field(default=PRUNE_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ImagePruneRunSpec = Field(default_factory=ImagePruneRunSpec)
    status: ImagePruneRunStatus | None = None


class ImagePruneRunList(Model):
    kind: str = "ImagePruneRunList"
    api_version: str = Field(default=PRUNE_VERSION, alias="apiVersion")
    metadata: ListMeta = Field(default_factory=ListMeta)
    items: list[ImagePruneRun] = Field(default_factory=list)
