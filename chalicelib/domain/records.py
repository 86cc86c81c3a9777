"""The stored state of a stream: one record for the stream, one per tag, events per tag."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from ..resources.stream import TagEvent, TagEventCondition, TagReference


@dataclass(frozen=True)
class StreamRecord:
    namespace: str
    name: str
    uid: str
    created: datetime
    generation: int = 1
    version: int = 1  # the resourceVersion: rises on every write to the stream or its tags
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    lookup_local: bool = False
    docker_image_repository: str = ""  # spec.dockerImageRepository (legacy)
    # Who last set docker_image_repository ("" if not recorded): its scheduled import acts
    # for them (domain/sources.py). Kept by the service, never taken from a request body.
    repository_author: str = ""

    def bumped(self, *, spec_changed: bool = False) -> StreamRecord:
        return replace(self, version=self.version + 1,
                       generation=self.generation + (1 if spec_changed else 0))


@dataclass(frozen=True)
class TagRecord:
    """A tag: its spec (None for tags only set by mappings) and the head of its history."""

    name: str
    incarnation: str  # history items are keyed by it, so a deleted tag's leftovers never reappear
    spec: TagReference | None = None
    head: TagEvent | None = None
    head_seq: int = 0  # sequence number of items[0]; 0 while the tag has no history
    conditions: tuple[TagEventCondition, ...] = ()
    due: datetime | None = None  # next scheduled import; None: not in the schedule
    # The manifest digest the registry named when the head was imported (a manifest list's
    # own digest in Legacy mode), so a re-import that finds it unchanged fetches nothing.
    import_digest: str = ""
    # Who last set the spec tag's source ("" if not recorded, or set by the service itself):
    # its scheduled import acts for them (domain/sources.py). Never taken from a body.
    author: str = ""
    # What a pin kept off the head: the newest event an import, a push or the tracked source
    # brought while the tag was pinned (domain/history.py `hold`); None when nothing waits.
    held: TagEvent | None = None
    # The newest events of this life of the tag, newest first (recent[0] is the head), at
    # most domain/history.py's bound: a stream is read with its tags and not its history.
    # Empty in a tag stored before the bound existed, which shows its head alone.
    recent: tuple[TagEvent, ...] = ()
    # The sequence number up to which an image prune removed this life's history (0: none):
    # its events run pruned_to + 1 to head_seq, and reads never go below it.
    pruned_to: int = 0


@dataclass(frozen=True)
class HistoryWrite:
    """One history item to write: a new event on top, or items[0] updated in place."""

    tag: str
    incarnation: str
    seq: int
    event: TagEvent
    replaced: TagEvent | None = None  # the event overwritten in place, if any


@dataclass(frozen=True)
class StreamSnapshot:
    stream: StreamRecord
    tags: dict[str, TagRecord]
    history: dict[str, list[TagEvent]]  # per tag, newest first
    # The store holds events of the stream that history pages do not reach yet: a table
    # from before the history moved, not yet backfilled (adapters/dynamodb_history_backfill).
    unmigrated_history: bool = False
