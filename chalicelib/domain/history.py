"""OpenShift's tag history rules: a new event is compared with items[0] only."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..resources.stream import TagEvent, TagEventCondition
from .records import HistoryWrite, TagRecord

# A tag keeps its newest events with it (TagRecord.recent): at most this many, and at most
# this many bytes of them as JSON, so a tag item stays well under 64 KB (README, History).
RECENT_EVENTS = 50
RECENT_BYTES = 32 * 1024

# The condition a pinned tag carries while a newer image waits (README, Pins).
NEWER_IMAGE_WAITING = "NewerImageWaiting"
PINNED_REASON = "Pinned"


def add_event(tag: TagRecord, event: TagEvent) -> tuple[TagRecord, HistoryWrite | None]:
    """Apply `event` to `tag`: no duplicate, in-place updates of the head, else push on top.

    Any change clears the tag's conditions, and what a pin held: the head was chosen anew.
    Returns the new tag and the history write, or the tag unchanged and None when the event
    is already the head.
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
    older = shown_events(tag)[1 if replaced is not None else 0:]
    updated = replace(tag, head=new_head, head_seq=seq, conditions=(), held=None,
                      recent=newest((new_head, *older)))
    return updated, HistoryWrite(tag.name, tag.incarnation, seq, new_head, replaced)


def shown_events(tag: TagRecord) -> tuple[TagEvent, ...]:
    """The events a stream shows for `tag`, newest first: its recent ones, or its head
    alone for a tag stored before tags kept them."""
    if tag.recent:
        return tag.recent
    return (tag.head,) if tag.head is not None else ()


def omitted_events(tag: TagRecord) -> int:
    """How many of the tag's events a stream does not show: sequence numbers count them
    (an in-place update keeps its number), so the history holds head_seq events, less
    those an image prune removed (pruned_to)."""
    return max(tag.head_seq - tag.pruned_to - len(shown_events(tag)), 0)


def newest(events: tuple[TagEvent, ...]) -> tuple[TagEvent, ...]:
    """The first of `events` (newest first) within the bounds; the head always."""
    kept: list[TagEvent] = []
    size = 0
    for event in events[:RECENT_EVENTS]:
        size += len(event.model_dump_json(by_alias=True))
        if kept and size > RECENT_BYTES:
            break
        kept.append(event)
    return tuple(kept)


def replace_head(head: TagEvent, event: TagEvent) -> TagEvent:
    """items[0] keeps its creation time; reference, image and generation take the new values."""
    return head.model_copy(update={
        "docker_image_reference": event.docker_image_reference,
        "image": event.image,
        "generation": event.generation,
    })


def hold(tag: TagRecord, event: TagEvent, now: datetime) -> TagRecord:
    """What a pinned tag does with an event automation brings: its head stays, and the event
    waits as `held`, with a condition naming its image. An event that is the head again (the
    source went back) leaves nothing waiting; the same event again changes nothing."""
    others = tuple(c for c in tag.conditions if c.type != NEWER_IMAGE_WAITING)
    if tag.head is not None and tag.head.same_target(event):
        return replace(tag, held=None, conditions=others)
    if tag.held is not None and tag.held.same_target(event):
        return tag
    waiting = (f"{event.image} ({event.docker_image_reference})" if event.image
               else event.docker_image_reference)
    condition = TagEventCondition(
        type=NEWER_IMAGE_WAITING, status="True", last_transition_time=now, reason=PINNED_REASON,
        message=f"the tag is pinned: newer image {waiting} is waiting; unpin the tag to move "
                "to it", generation=event.generation)
    return replace(tag, held=event, conditions=others + (condition,))
