"""Turning stored records into the API objects OpenShift returns."""
from __future__ import annotations

from ..domain.history import omitted_events
from ..domain.records import StreamRecord, StreamSnapshot, TagRecord
from ..resources.image import Image
from ..resources.meta import ObjectMeta
from ..resources.stream import (
    ImageLookupPolicy,
    ImageStream,
    ImageStreamImage,
    ImageStreamSpec,
    ImageStreamStatus,
    ImageStreamTag,
    NamedTagEventList,
    TagEvent,
)


def repository_of(namespace: str, stream: str, registry: str) -> str:
    """Where the integrated registry serves the stream; empty when none is configured."""
    return f"{registry}/{namespace}/{stream}" if registry else ""


def stream_meta(stream: StreamRecord) -> ObjectMeta:
    return ObjectMeta(
        name=stream.name, namespace=stream.namespace, uid=stream.uid,
        resource_version=str(stream.version), generation=stream.generation,
        creation_timestamp=stream.created, labels=stream.labels or None,
        annotations=stream.annotations or None,
    )


# How many older events a stream's status leaves out (each tag shows its recent ones; the
# rest are at its istag's history path). api/responses.py adds those a large answer drops.
OMITTED_ANNOTATION = "imagestreams.dev/omitted-history-events"


def image_stream(snapshot: StreamSnapshot, registry: str) -> ImageStream:
    stream = snapshot.stream
    tags = sorted(snapshot.tags.values(), key=lambda t: t.name)
    meta = stream_meta(stream)
    annotations = {k: v for k, v in (meta.annotations or {}).items() if k != OMITTED_ANNOTATION}
    omitted = sum(omitted_events(t) for t in tags)
    if omitted:
        annotations[OMITTED_ANNOTATION] = str(omitted)
    meta.annotations = annotations or None
    spec_tags = [t.spec for t in tags if t.spec is not None]
    status_tags = [
        NamedTagEventList(tag=t.name, items=snapshot.history.get(t.name, []),
                          conditions=list(t.conditions) or None)
        for t in tags if t.head is not None or t.conditions
    ]
    repository = repository_of(stream.namespace, stream.name, registry)
    return ImageStream(
        metadata=meta,
        spec=ImageStreamSpec(
            lookup_policy=ImageLookupPolicy(local=stream.lookup_local),
            docker_image_repository=stream.docker_image_repository or None,
            tags=spec_tags or None,
        ),
        status=ImageStreamStatus(docker_image_repository=repository,
                                 public_docker_image_repository=repository or None,
                                 tags=status_tags or None),
    )


def pull_spec(stream: StreamRecord, tag: TagRecord, event: TagEvent, registry: str) -> str:
    """dockerImageReference as the tag's reference policy says: Local pulls through us."""
    local = tag.spec is not None and tag.spec.reference_policy.type == "Local"
    repository = repository_of(stream.namespace, stream.name, registry)
    if local and repository and event.image:
        return f"{repository}@{event.image}"
    return event.docker_image_reference


def tagged_image(image: Image | None, event: TagEvent, reference: str) -> Image:
    """The Image a tag or stream image shows: stored metadata, the stream's pull spec."""
    base = image or Image(metadata=ObjectMeta(name=event.image or None))
    return base.model_copy(update={"docker_image_reference": reference})


def image_stream_tag(stream: StreamRecord, tag: TagRecord, image: Image | None,
                     registry: str) -> ImageStreamTag:
    head = tag.head
    meta = stream_meta(stream).model_copy(update={
        "name": f"{stream.name}:{tag.name}",
        "creation_timestamp": head.created if head else stream.created,
        "generation": None,
        "annotations": tag.spec.annotations if tag.spec else None,
    })
    shown = (tagged_image(image, head, pull_spec(stream, tag, head, registry))
             if head is not None else Image())
    return ImageStreamTag(
        metadata=meta, tag=tag.spec, generation=head.generation if head else 0,
        lookup_policy=ImageLookupPolicy(local=stream.lookup_local),
        conditions=list(tag.conditions) or None, image=shown,
    )


def image_stream_image(stream: StreamRecord, digest: str, reference: str,
                       image: Image | None) -> ImageStreamImage:
    meta = stream_meta(stream).model_copy(update={
        "name": f"{stream.name}@{digest}", "generation": None, "labels": None,
        "annotations": None,
    })
    event = TagEvent(created=stream.created, docker_image_reference=reference, image=digest)
    return ImageStreamImage(metadata=meta, image=tagged_image(image, event, reference))
