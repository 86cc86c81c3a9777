"""What changed in a namespace, in the order it changed: what a watch reads.

A change names one object, a stream or one of its tags, and what happened to it, in the
words of Kubernetes' watch events. A namespace's changes are numbered 1, 2, 3, ... with no
gaps: a position is what a watch resumes from (its resourceVersion).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
# How long a change is kept: a watch from an older position is Expired (410) and the
# client lists again. Clients resume within seconds; an hour also covers a long pause.
KEPT_SECONDS = 3600
# A change whose table-stream record comes again (at-least-once delivery) is recognised
# among this many of the namespace's newest changes, beyond the batch it came in.
RECENT_CHANGES = 100


def too_old(position: int, newest: int) -> str:
    """Kubernetes' words for a watch from before what is kept (with the newest position)."""
    return f"too old resource version: {position} ({newest})"


def event_version(position: int, version: str) -> str:
    """An object's resourceVersion in a watch event: the position a watch resumes from, then
    the object's own version, which an update may send back as it came."""
    return f"{position}.{version}" if version else str(position)


def object_version(resource_version: str) -> str:
    """The object's own version in a resourceVersion a client sends back."""
    return resource_version.rpartition(".")[2]


def watch_position(resource_version: str) -> int | None:
    """Where a watch from `resource_version` (a list's, or a watch event's) starts; None if
    it is neither."""
    head = resource_version.partition(".")[0]
    return int(head) if head.isascii() and head.isdigit() and len(head) <= 19 else None


@dataclass(frozen=True)
class Change:
    stream: str
    tag: str | None  # None: the stream itself
    type: str  # ADDED, MODIFIED or DELETED
    event_id: str = ""  # the table-stream record it comes from: a redelivery is no change


@dataclass(frozen=True)
class LoggedChange:
    position: int
    change: Change


@dataclass(frozen=True)
class Noticed:
    """One watch event to send: what happened to the object named, as of `position`."""

    type: str
    name: str  # a stream's name, or `stream:tag` for a tag
    position: int


def stream_name(change: Change) -> str:
    return change.stream


def stream_tag_name(change: Change) -> str | None:
    return f"{change.stream}:{change.tag}" if change.tag is not None else None


def stream_event_type(change: Change) -> str:
    """A tag's change is a change of its stream; the stream's own changes are as they are."""
    return change.type if change.tag is None else MODIFIED


def noticed_streams(changes: Iterable[LoggedChange]) -> list[Noticed]:
    return _collapsed((logged.position, stream_name(logged.change),
                       stream_event_type(logged.change)) for logged in changes)


def noticed_stream_tags(changes: Iterable[LoggedChange]) -> list[Noticed]:
    return _collapsed((logged.position, name, logged.change.type) for logged in changes
                      if (name := stream_tag_name(logged.change)) is not None)


def _collapsed(events: Iterable[tuple[int, str, str]]) -> list[Noticed]:
    """One event per object for a run of modifications: the object sent is read when the
    events are, so several MODIFIED of one object would send its newest state each time.
    The event moves to the newest position, keeping positions increasing, since a client
    resumes from the last event it saw. An ADDED followed by changes stays ADDED; a
    deletion, or a creation after it, is always sent."""
    noticed: list[Noticed] = []
    for position, name, kind in events:
        last = next((index for index in range(len(noticed) - 1, -1, -1)
                     if noticed[index].name == name), None)
        if last is not None and kind == MODIFIED and noticed[last].type in (ADDED, MODIFIED):
            kind = noticed.pop(last).type
        noticed.append(Noticed(kind, name, position))
    return noticed
