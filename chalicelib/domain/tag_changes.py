"""Which writes to a tag are changes subscribers hear about: moves of its head, and images a
pin keeps off it."""
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
    # What a pin held off the head before and after the write (domain/history.py `hold`).
    old_held: Head | None = None
    new_held: Head | None = None


def change_type(write: TagWrite) -> str | None:
    """Created (first image), Updated (the head moved), Deleted (a tag with a head went), Held
    (a pinned tag stayed, and a newer image waits on it); else None.

    A new generation alone, conditions, spec edits or next-due times do not move the head,
    nor does a pin that stops holding (its tag unpinned, or its source back at the head).
    """
    old, new = write.old, write.new
    if old is None and new is not None:
        return "Created"
    if old is not None and new is None:
        return "Deleted"
    if old is not None and new is not None and _target(old) != _target(new):
        return "Updated"
    if write.new_held is not None and (
            write.old_held is None or _target(write.old_held) != _target(write.new_held)):
        return "Held"
    return None


def _target(head: Head) -> tuple[str, str]:
    return head.image, head.docker_image_reference
