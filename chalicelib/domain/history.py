"""OpenShift's tag history rules: a new event is compared with items[0] only."""
from __future__ import annotations

from dataclasses import replace

from ..resources.stream import TagEvent
from .records import HistoryWrite, TagRecord


def add_event(tag: TagRecord, event: TagEvent) -> tuple[TagRecord, HistoryWrite | None]:
    """Apply `event` to `tag`: no duplicate, in-place updates of the head, else push on top.

    Any change clears the tag's conditions. Returns the new tag and the history write, or
    the tag unchanged and None when the event is already the head.
    """
    head = tag.head
    if head is None:
        seq = tag.head_seq + 1
        new_head = event
        replaced = None
    else:
        same_ref = head.docker_image_reference == event.docker_image_reference
        same_image = head.image == event.image
        if same_ref and same_image and head.generation == event.generation:
            return tag, None
        if same_ref or same_image:
            seq = tag.head_seq
            new_head = replace_head(head, event)
            replaced = head
        else:
            seq = tag.head_seq + 1
            new_head = event
            replaced = None
    updated = replace(tag, head=new_head, head_seq=seq, conditions=())
    return updated, HistoryWrite(tag.name, tag.incarnation, seq, new_head, replaced)


def replace_head(head: TagEvent, event: TagEvent) -> TagEvent:
    """items[0] keeps its creation time; reference, image and generation take the new values."""
    return head.model_copy(update={
        "docker_image_reference": event.docker_image_reference,
        "image": event.image,
        "generation": event.generation,
    })
