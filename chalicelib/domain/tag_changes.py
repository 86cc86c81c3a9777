"""Which writes to a tag are changes subscribers hear about: only moves of its head."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Head:
    image: str
    docker_image_reference: str
    generation: int
    created: str


@dataclass(frozen=True)
class TagWrite:
    """One write of a tag as the table's stream reports it: its head before and after."""

    namespace: str
    stream: str
    tag: str
    old: Head | None
    new: Head | None
    event_id: str  # stable across redeliveries of the same write
    time: str  # when the write happened, RFC 3339
    stream_uid: str = ""  # the uid of the stream whose tag it is (each of its items has it)


def change_type(write: TagWrite) -> str | None:
    """Created (first image), Updated (the head moved), Deleted (a tag with a head went); else None.

    A new generation alone, conditions, spec edits or next-due times do not move the head.
    """
    old, new = write.old, write.new
    if old is None and new is not None:
        return "Created"
    if old is not None and new is None:
        return "Deleted"
    if old is not None and new is not None and (
            old.image, old.docker_image_reference) != (new.image, new.docker_image_reference):
        return "Updated"
    return None
