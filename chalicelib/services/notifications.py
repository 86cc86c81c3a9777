"""Turning tag writes into one message per real tag change, and publishing them."""
from __future__ import annotations

from typing import Iterable, Protocol

from ..domain.tag_changes import TagWrite, change_type
from ..resources.events import ImagePointer, ImageStreamTagEvent


class Publisher(Protocol):
    def publish(self, messages: list[ImageStreamTagEvent]) -> None:
        """Publish all or raise PublishFailed; already-sent messages may be sent again."""


def tag_event(write: TagWrite) -> ImageStreamTagEvent | None:
    kind = change_type(write)
    if kind is None:
        return None
    current = write.new
    previous = (ImagePointer(image=write.old.image,
                             docker_image_reference=write.old.docker_image_reference)
                if write.old is not None else None)
    return ImageStreamTagEvent(
        type=kind, namespace=write.namespace, image_stream=write.stream, tag=write.tag,
        image=current.image if current else "",
        docker_image_reference=current.docker_image_reference if current else "",
        previous=previous,
        generation=current.generation if current else write.old.generation,
        time=current.created if current and kind != "Deleted" else write.time,
        event_id=write.event_id,
    )


def publish_tag_changes(writes: Iterable[TagWrite], publisher: Publisher) -> int:
    """Publish a message for each write that moved a tag; returns how many were published."""
    messages = [event for event in map(tag_event, writes) if event is not None]
    if messages:
        publisher.publish(messages)
    return len(messages)
