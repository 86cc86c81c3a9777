"""Pushes to the integrated registry: the one path ECR events, registry notifications and
ImageStreamMappings share."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from ..domain.errors import AlreadyExists
from ..domain.tags import is_pinned
from ..logs import about
from ..resources.image import Image
from ..resources.meta import ObjectMeta
from ..resources.stream import ImageStream, ImageStreamMapping
from .actor import Actor
from .ports import StreamStore
from .stream_tags import StreamTagService
from .streams import StreamService

logger = logging.getLogger(__name__)
# What each outcome of a push means, for its log line.
OUTCOMES = {"moved": "the tag moved to it",
            "unchanged": "the tag shows it already (a repeated event)",
            "recorded": "older than the registry's tag: image recorded, tag left alone",
            "held": "the tag is pinned: image recorded, waiting on the tag"}


@dataclass(frozen=True)
class Push:
    namespace: str
    stream: str
    tag: str
    image: Image  # what the tag moves to (a manifest list keeps its platforms in children)
    children: tuple[Image, ...] = ()


class PushService:
    def __init__(self, store: StreamStore, streams: StreamService, tags: StreamTagService):
        self.store = store
        self.streams = streams
        self.tags = tags

    def apply(self, actor: Actor, push: Push, still_current: Callable[[], bool] | None = None
              ) -> str:
        """Record the image and move the tag, unless that already happened or is stale.

        Returns "unchanged" (the tag already shows this image: a repeated event),
        "recorded" (the registry's tag has moved on since: the image is kept, the tag is not
        moved back), "held" (the tag is pinned: the image waits on it) or "moved". A push
        to a stream that does not exist yet creates it, as OpenShift's registry does.
        """
        outcome = self._apply(actor, push, still_current)
        about(logger, push.namespace, push.stream, push.tag).info(
            "push of %s to %s/%s:%s: %s", push.image.metadata.name, push.namespace,
            push.stream, push.tag, OUTCOMES[outcome],
            extra={"digest": push.image.metadata.name, "outcome": outcome})
        return outcome

    def _apply(self, actor: Actor, push: Push, still_current: Callable[[], bool] | None
               ) -> str:
        digest = push.image.metadata.name or ""
        for child in push.children:
            self.store.put_image(child)
        tag = self.store.get_tag(push.namespace, push.stream, push.tag)
        if tag is not None and tag.head is not None and tag.head.image == digest and (
                tag.head.docker_image_reference == push.image.docker_image_reference):
            return "unchanged"
        if still_current is not None and not still_current():
            self.store.put_image(push.image)
            # The line apply() writes says so: "recorded", the tag left alone.
            return "recorded"
        self._ensure_stream(actor, push.namespace, push.stream)
        self.tags.map(actor, push.namespace, ImageStreamMapping(
            metadata=ObjectMeta(name=push.stream, namespace=push.namespace),
            image=push.image, tag=push.tag))
        return "held" if tag is not None and is_pinned(tag.spec) else "moved"

    def _ensure_stream(self, actor: Actor, namespace: str, name: str) -> None:
        if self.store.get_stream(namespace, name) is not None:
            return
        try:
            self.streams.create(actor, namespace, ImageStream(metadata=ObjectMeta(
                name=name, annotations={"imagestreams.dev/created-by": "push"})))
        except AlreadyExists:
            pass  # a concurrent push created it
