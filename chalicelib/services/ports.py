"""What the services need from storage. DynamoDB and in-memory adapters both provide it."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ..domain.changes import Change, LoggedChange
from ..domain.imports import ImportContext
from ..domain.records import HistoryWrite, StreamRecord, StreamSnapshot, TagRecord
from ..resources.image import Image
from ..resources.stream import TagEvent


@dataclass(frozen=True)
class ImageRef:
    """A stream's index entry for an image it has tagged: how many events name it, and where."""

    digest: str
    docker_image_reference: str
    count: int


@dataclass
class ChangeSet:
    """Everything one write does to a stream; a store applies it all or nothing.

    The condition is the stream's version: every write raises it, so one check on the
    stream covers everything read while planning the change.
    """

    stream: StreamRecord  # the new stream record, version already raised
    expected_version: int | None  # None: the stream must not exist yet
    put_tags: list[TagRecord] = field(default_factory=list)
    delete_tags: list[TagRecord] = field(default_factory=list)
    history: list[HistoryWrite] = field(default_factory=list)
    follow: set[tuple[str, str]] = field(default_factory=set)  # (source tag, follower tag)
    unfollow: set[tuple[str, str]] = field(default_factory=set)
    # digest: (count delta, reference of its newest event); a delta of 0 still moves the reference
    image_refs: dict[str, tuple[int, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryPage:
    """Events of one life of a tag, newest first; `before` is the sequence number to go on
    below (the last event's), None on the last page."""

    events: list[TagEvent]
    before: int | None


@dataclass(frozen=True)
class Page:
    """One page of a list; `after` is the key to continue from, None on the last page."""

    items: list
    after: str | None


def stream_key(namespace: str, name: str) -> str:
    """A stream's place in lists across namespaces, and their continue point: the order of
    these strings is Kubernetes' own (its storage keys end in `<namespace>/<name>`)."""
    return f"{namespace}/{name}"


@dataclass(frozen=True)
class DueTag:
    """A tag in the import schedule, with its stream (whose annotations pick the platform)."""

    stream: StreamRecord
    tag: TagRecord


@dataclass(frozen=True)
class DueRepository:
    """A stream whose spec.dockerImageRepository is due for a check, at `due` as read."""

    stream: StreamRecord
    due: datetime


DueEntry = DueTag | DueRepository


class StreamStore(Protocol):
    def get_stream(self, namespace: str, name: str) -> StreamRecord | None: ...

    def get_tag(self, namespace: str, name: str, tag: str) -> TagRecord | None: ...

    def get_stream_tag(self, namespace: str, name: str, tag: str
                       ) -> tuple[StreamRecord | None, TagRecord | None]:
        """The stream and its tag, read together (a tag read needs its stream anyway)."""

    def get_followers(self, namespace: str, name: str, tag: str) -> list[str]: ...

    def history_page(self, namespace: str, name: str, tag: TagRecord, limit: int,
                     before: int | None) -> HistoryPage:
        """Up to `limit` events of `tag`'s life, newest first, below sequence number `before`
        (from the head without). Reads about `limit` events, whatever the history's size."""

    def load_stream(self, namespace: str, name: str) -> StreamSnapshot | None:
        """The stream and its tags, each with its recent events (TagRecord.recent) as the
        snapshot's history: never the whole history, so the cost follows the number of
        tags."""

    def list_streams(self, namespace: str, limit: int, after: str | None) -> Page:
        """Stream records of a namespace ordered by name, starting after `after`."""

    def list_all_streams(self, limit: int, after: str | None) -> Page:
        """Stream records of every namespace ordered by stream_key, starting after `after`
        (a stream_key, which need not name a stream). Reads a page's worth of index entries
        and the page's stream items, never the whole table. A page may hold fewer than
        `limit` records and still have an `after`: a stream deleted while it was read."""

    def find_images(self, namespace: str, name: str, prefix: str, limit: int) -> list[ImageRef]:
        """Images tagged in the stream (count > 0) whose digest starts with `prefix`."""

    def commit(self, changes: ChangeSet) -> None:
        """Apply atomically; raise ConcurrentUpdate if the stream's version moved."""

    def delete_stream(self, namespace: str, name: str, expected_version: int) -> None:
        """Delete the stream in a constant number of requests; what it held (tags, history,
        links, index entries) is removed afterwards (`clean_up`), never read back."""

    def clean_up(self, mark: tuple[str, str]) -> bool:
        """One bounded step of removing what a delete left, `mark` being the key of the
        cleanup item it wrote (the table stream names it); True when nothing is left. A
        commit that deletes a tag leaves its history and its events' image counts;
        deleting a stream leaves the rest of its items. Steps repeat harmlessly: each
        removes only what is still there."""

    def put_image(self, image: Image) -> bool:
        """Create the image unless one of that name exists; True if this call created it."""

    def get_image(self, digest: str) -> Image | None: ...

    def list_images(self, limit: int, after: str | None) -> Page: ...

    def due_entries(self, before: datetime, limit: int) -> list[DueEntry]:
        """Up to `limit` scheduled tags and stream repositories due at or before `before`,
        the longest due first. A repository whose stream is gone leaves the schedule.

        Reads the schedule index only: the cost follows the number of due tags, not the
        number of tags or streams.
        """

    def reschedule(self, namespace: str, name: str, tag: TagRecord,
                   due: datetime | None) -> bool:
        """Set only the tag's next-due time (None: out of the schedule), if the tag still has
        `tag.incarnation` and `tag.due`; False otherwise. The head and the stream's version
        are left alone: nothing a subscriber or a client sees changes."""

    def reschedule_repository(self, namespace: str, name: str, read: datetime | None,
                              due: datetime | None) -> bool:
        """Set the next check of the stream's repository (None: out of the schedule). With
        `read`, only if that is still its time, else False; without, whatever it was. The
        entry is apart from the stream's items: it may be set before the stream exists."""


class Importer(Protocol):
    def context(self, namespace: str) -> ImportContext:
        """A context for one write in `namespace`: it fetches with the namespace's credentials."""


class ChangeLog(Protocol):
    """Each namespace's changes, numbered without gaps in the order they were appended.

    Fed by the table stream's consumer; read by watches. Kept for a while (the adapter
    says how long), after which a read from before what is kept is Expired.
    """

    def append(self, namespace: str, changes: Sequence[Change]) -> None:
        """Number and keep `changes`, all or none, after every change appended before. A
        change whose `event_id` was appended lately is not appended again."""

    def newest(self, namespace: str) -> int:
        """The position of the namespace's newest change; 0 before the first."""

    def after(self, namespace: str, position: int, limit: int) -> list[LoggedChange]:
        """Up to `limit` changes after `position`, oldest first; Expired when some change
        after `position` is no longer kept."""
