"""Turning tag writes into one message per real tag change, and publishing each once.

The table's stream delivers records at least once: Lambda retries a batch from the first
record reported as failed, and may run the same batch twice. Each message carries the
stream record's eventID as `eventId`; a ledger of the eventIds already published keeps a
record delivered again from being published again.
"""
from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from ..domain.errors import ServiceUnavailable
from ..domain.tag_changes import TagWrite, change_type
from ..logs import about
from ..resources.events import ImagePointer, ImageStreamTagEvent
from .ports import Publisher, PublishLedger

logger = logging.getLogger(__name__)
UNPUBLISHED_LINES = 10  # messages a failed publish names one line each; the rest are counted


class PublishFailed(ServiceUnavailable):
    """Some messages could not be published; `sent` holds the eventIds of those that were."""

    def __init__(self, message: str, sent: Collection[str] = ()):
        super().__init__(message)
        self.sent = frozenset(sent)


@dataclass(frozen=True)
class Outcome:
    published: int  # messages this call sent
    skipped: int  # messages already out: in the ledger, or repeated within the batch
    retry_from: str | None  # position of the first write whose message is not out yet
    unpublished: int = 0  # messages this call could not send


def tag_event(write: TagWrite, sequence: str = "") -> ImageStreamTagEvent | None:
    """The message for one write, or None when it moved no tag and held no image;
    `sequence` is the write's position in the table's stream.

    A Held message's `image` and `previous` are both the tag's unchanged image, so a
    consumer that deploys `image` whatever the type deploys nothing new; `held` is the
    image waiting."""
    kind = change_type(write)
    if kind is None:
        return None
    current = write.new
    previous = (ImagePointer(image=write.old.image,
                             docker_image_reference=write.old.docker_image_reference)
                if write.old is not None else None)
    held = write.new_held if kind == "Held" else None
    return ImageStreamTagEvent(
        type=kind, namespace=write.namespace, image_stream=write.stream, tag=write.tag,
        image_stream_uid=write.stream_uid,
        image=current.image if current else "",
        docker_image_reference=current.docker_image_reference if current else "",
        previous=previous,
        generation=_generation(write),
        time=held.created if held else (
            current.created if current and kind != "Deleted" else write.time),
        event_id=write.event_id,
        sequence=sequence,
        held=ImagePointer(image=held.image, docker_image_reference=held.docker_image_reference)
        if held else None,
    )


def _generation(write: TagWrite) -> int:
    head = write.new or write.old or write.new_held
    return head.generation if head else 0


def publish_tag_changes(writes: Iterable[tuple[str, TagWrite]], publisher: Publisher,
                        ledger: PublishLedger) -> Outcome:
    """Publish, in order, a message for each write that moved a tag and is not out yet.

    `writes` are (position in the stream, write) pairs in stream order. When publishing
    stops short, `retry_from` is the position to deliver the writes again from; the
    messages sent are in the ledger, so a delivery from there does not repeat them.
    """
    positioned: list[tuple[str, ImageStreamTagEvent]] = []
    seen: set[str] = set()
    for position, write in writes:
        message = tag_event(write, position)
        if message is not None and message.event_id not in seen:
            seen.add(message.event_id)
            positioned.append((position, message))
    done = ledger.published([m.event_id for _, m in positioned]) if positioned else set()
    pending = [(p, m) for p, m in positioned if m.event_id not in done]
    skipped = len(positioned) - len(pending)
    try:
        if pending:
            publisher.publish([m for _, m in pending])
        sent = [m.event_id for _, m in pending]
    except PublishFailed as failure:
        about(logger).warning("%s", failure)
        sent = [m.event_id for _, m in pending if m.event_id in failure.sent]
        unsent = [m for _, m in pending if m.event_id not in failure.sent]
        for message in unsent[:UNPUBLISHED_LINES]:
            about(logger, message.namespace, message.image_stream, message.tag).warning(
                "tag change %s of %s/%s:%s not published; it is sent again with its record",
                message.event_id, message.namespace, message.image_stream, message.tag,
                extra={"eventId": message.event_id})
    if sent:
        try:
            ledger.record(sent)
        except ServiceUnavailable as exc:
            # The messages are out: failing the batch would surely send them again, while a
            # missing ledger entry repeats them only if the same records come back.
            about(logger).warning("%d published messages not recorded in the ledger: %s",
                                  len(sent), exc)
    sent_ids = set(sent)
    retry_from = next((p for p, m in pending if m.event_id not in sent_ids), None)
    return Outcome(published=len(sent), skipped=skipped, retry_from=retry_from,
                   unpublished=len(pending) - len(sent))
