"""Image pruning's pure rules: what a tag keeps in use, the run's state, Go durations.

A tag keeps its head, its newest `keep_tag_revisions` events, every event created at or
after the run's threshold (its start less `keepYoungerThan`), the event a pin holds and,
when pinned, its whole history; so does every tag of a stream outside the run's
namespaces, whose history the run leaves whole. Its history is cut below the kept block:
the newest events down to the last one kept, so a tag's history stays one run of sequence
numbers (TagRecord.pruned_to counts what is gone).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ..resources.stream import TagEvent
from .records import TagRecord

RUNS = "imagepruneruns.imagestreams.dev"  # as Status messages name the resource
DEFAULT_KEEP_TAG_REVISIONS = 3
DEFAULT_KEEP_YOUNGER_THAN = "60m"

RUNNING, SUCCEEDED, FAILED = "Running", "Succeeded", "Failed"
STREAMS, IMAGES, REGISTRY, DONE = "Streams", "Images", "Registry", "Done"
# A run's keep set expires a while after it is written (the store says how long, more than
# this): a run still going after this long fails rather than delete with part of it gone.
MAX_RUN_AGE = timedelta(days=1)
SCANNED_KEYS = ("streams", "tags", "images", "registryImages")
REMOVED_KEYS = ("historyEvents", "images", "registryImages", "registryBytes")


class UnmigratedHistory(Exception):
    """A stream keeps events the run cannot read (a table from before the history moved):
    their images would look out of use, so the run stops before it deletes any image."""

    def __init__(self, namespace: str, name: str):
        super().__init__(
            f"the stream {namespace}/{name} keeps history at the keys of the version before "
            "the history moved, which a prune cannot read: run the backfill (python -m "
            "chalicelib.backfill --table <table>, docs/deploy.md), then start a new run; "
            "this one deleted no image")


# Go's time.ParseDuration units, in nanoseconds.
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
          "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> timedelta | None:
    """A Go duration as `oc adm prune --keep-younger-than` takes it ("60m", "1h30m", "0s",
    "0"); None when it is not one or is negative (a prune cannot keep the future)."""
    body = text[1:] if text[:1] == "+" else text
    if body == "0":
        return timedelta(0)
    if not body or body[:1] == "-":
        return None
    position, nanoseconds = 0, 0.0
    while position < len(body):
        match = _PART.match(body, position)
        if match is None:
            return None
        nanoseconds += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    return timedelta(microseconds=nanoseconds / 1000)


@dataclass(frozen=True)
class PruneSpec:
    keep_tag_revisions: int = DEFAULT_KEEP_TAG_REVISIONS
    keep_younger_than: str = DEFAULT_KEEP_YOUNGER_THAN
    namespaces: tuple[str, ...] | None = None  # None: every namespace
    dry_run: bool = True
    prune_registry: bool = False

    def in_scope(self, namespace: str) -> bool:
        return self.namespaces is None or namespace in self.namespaces


@dataclass(frozen=True)
class PruneRun:
    """A run's whole state: saved after each step, conditioned on `step` as read."""

    name: str
    uid: str
    created: datetime
    created_by: str
    spec: PruneSpec
    threshold: datetime  # events and images created before it may go
    phase: str = RUNNING
    stage: str = STREAMS
    step: int = 0
    cursor: dict[str, Any] = field(default_factory=dict)  # the stage's place, as JSON
    scanned: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SCANNED_KEYS, 0))
    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REMOVED_KEYS, 0))
    completed: datetime | None = None
    message: str = ""

    def counted(self, scanned: dict[str, int], removed: dict[str, int]) -> PruneRun:
        return replace(self, scanned={k: v + scanned.get(k, 0) for k, v in self.scanned.items()},
                       removed={k: v + removed.get(k, 0) for k, v in self.removed.items()})

    def noted(self, message: str) -> PruneRun:
        return replace(self, message="; ".join(m for m in (self.message, message) if m))


def is_kept(index: int, event: TagEvent, keep_revisions: int, threshold: datetime) -> bool:
    """Whether the tag's event at `index` (0: the head) is in use by the rules."""
    return index < max(keep_revisions, 1) or event.created >= threshold


@dataclass
class KeptBlock:
    """A tag's walk from its head down, newest first: the digests it keeps and, once an
    event out of use is reached, `cut` (that event's sequence number: it and all below go)."""

    tag: TagRecord
    keep_all: bool  # pinned, or of a stream the run does not prune: every event is in use
    keep_revisions: int
    threshold: datetime
    index: int = 0
    cut: int | None = None
    digests: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for extra in (self.tag.head, self.tag.held):
            if extra is not None and extra.image:
                self.digests.add(extra.image)

    @property
    def remaining(self) -> int:
        """Events not yet walked (sequence numbers run without gaps above pruned_to)."""
        return max(self.tag.head_seq - self.tag.pruned_to - self.index, 0)

    @property
    def done(self) -> bool:
        return self.cut is not None or self.remaining == 0

    @property
    def next_before(self) -> int:
        """The sequence number to page below, for history_page."""
        return self.tag.head_seq - self.index + 1

    def walk(self, events: Iterable[TagEvent]) -> None:
        """Take the next events of the tag, newest first, as far as the kept block goes."""
        for event in events:
            if self.done:
                return
            if not self.keep_all and not is_kept(self.index, event, self.keep_revisions,
                                               self.threshold):
                self.cut = self.tag.head_seq - self.index
                return
            if event.image:
                self.digests.add(event.image)
            self.index += 1


def pruned_tag(tag: TagRecord, cut: int) -> TagRecord:
    """The tag with its events at `cut` and below gone: its recent events trimmed."""
    kept = tag.head_seq - cut
    return replace(tag, pruned_to=cut, recent=tag.recent[:kept])
