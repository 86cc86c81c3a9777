"""What the service stores: a stream (one record for the stream, one per tag, events per tag),
and the records of access tokens, secrets and triggers."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from ..resources.stream import TagEvent, TagEventCondition, TagReference
from ..resources.triggers import ImageStreamTriggerSpec
from .rbac import service_account_namespace


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


@dataclass(frozen=True)
class TokenRecord:
    id: str  # the first 16 hex digits of the token's SHA-256: a lookup key, not a secret
    digest: str  # the token's full SHA-256; the token itself is never stored
    subject: str
    created: datetime
    expires: datetime | None = None

    @property
    def scope(self) -> str | None:
        """The namespace whose admins manage this token (service accounts), else None."""
        return service_account_namespace(self.subject)


@dataclass(frozen=True)
class StoredSecret:
    """What is known about a secret without reading its value."""

    namespace: str
    name: str
    type: str
    uid: str
    created: datetime


@dataclass(frozen=True)
class TriggerRecord:
    namespace: str
    stream: str
    name: str
    uid: str
    created: datetime
    spec: ImageStreamTriggerSpec
    subscription_arn: str = ""
    pending_confirmation: bool = False
    # The uid of the stream it was made for; "" for triggers made before triggers named it,
    # which count as the present stream's while it exists.
    stream_uid: str = ""

    @property
    def endpoint_key(self) -> str:
        return f"{self.spec.endpoint.protocol}:{self.spec.endpoint.endpoint}"

    def belongs_to(self, stream: StreamRecord | None) -> bool:
        """Whether this trigger is `stream`'s (None: no stream of its name exists)."""
        return stream is not None and self.stream_uid in ("", stream.uid)
