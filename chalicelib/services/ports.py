"""The ports: what the services need from the world outside them, in one place.

Storage first (streams, the change log; DynamoDB and in-memory adapters both provide it),
then, by concern, access, secrets, triggers, tag-change messages and the registry. The
services import these; the adapters implement them; chalicelib/wiring.py picks which.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

# Named in signatures only: every service imports this module, and the models behind these
# names need not load before a request uses them (authentication, on every request, does not).
if TYPE_CHECKING:
    from ..domain.changes import Change, LoggedChange
    from ..domain.imports import ImportContext
    from ..domain.pruning import PruneRun
    from ..domain.records import (
        HistoryWrite,
        StreamRecord,
        StreamSnapshot,
        TagRecord,
    )
    from ..domain.stored_objects import StoredSecret, TokenRecord, TriggerRecord
    from ..resources.events import ImageStreamTagEvent
    from ..resources.image import Image
    from ..resources.rbac import RoleBinding
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
    # Tag lives whose history an image prune cuts: their events up to a sequence number go
    # (with their image counts), after the commit as a deleted tag's do.
    prune_history: list[HistoryPrune] = field(default_factory=list)


@dataclass(frozen=True)
class HistoryPrune:
    """A tag life's events at sequence number `upto` and below, to be removed."""

    tag: str
    incarnation: str
    upto: int


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

    def load_listed_stream(self, record: StreamRecord) -> StreamSnapshot:
        """load_stream of a stream a list page just read as `record`, without reading its
        stream item again: its tags of `record`'s life, never a later life's (a stream
        deleted since the page was read may still show its tags)."""

    def list_streams(self, namespace: str, limit: int, after: str | None) -> Page:
        """Stream records of a namespace ordered by name, starting after `after`."""

    def list_all_streams(self, limit: int, after: str | None) -> Page:
        """Stream records of every namespace ordered by stream_key, starting after `after`
        (a stream_key, which need not name a stream). Reads a page's worth of index entries
        and the page's stream items, never the whole table. A page may hold fewer than
        `limit` records and still have an `after`: a stream deleted while it was read."""

    def find_images(self, namespace: str, name: str, prefix: str, limit: int) -> list[ImageRef]:
        """Images tagged in the stream (count > 0) whose digest starts with `prefix`: its
        tags' events, and the images pinned tags hold (TagRecord.held) while they wait."""

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

    def delete_image(self, digest: str) -> bool:
        """Delete the Image item; True if this call deleted it (False: it was gone)."""

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


# -- Access: tokens and role bindings (services/access.py)


class TokenStore(Protocol):
    def put_token(self, record: TokenRecord) -> None: ...

    def get_token(self, token_id: str) -> TokenRecord | None: ...

    def delete_token(self, token_id: str) -> bool: ...

    def list_tokens(self, scope: str | None) -> list[TokenRecord]: ...


class BindingStore(Protocol):
    def create_binding(self, namespace: str | None, binding: RoleBinding) -> None:
        """AlreadyExists if the name is taken (namespace None: a ClusterRoleBinding)."""

    def get_binding(self, namespace: str | None, name: str) -> RoleBinding | None: ...

    def list_bindings(self, namespace: str | None) -> list[RoleBinding]: ...

    def delete_binding(self, namespace: str | None, name: str) -> bool: ...


# -- Secrets (services/secrets.py)


class SecretStore(Protocol):
    def create(self, secret: StoredSecret, content: str) -> None:
        """Store a new secret; AlreadyExists if the namespace has one of that name."""

    def list_secrets(self, namespace: str) -> list[StoredSecret]:
        """The namespace's secrets, ordered by name."""

    def get(self, namespace: str, name: str) -> StoredSecret | None: ...

    def delete(self, namespace: str, name: str) -> bool:
        """False if there was no such secret."""

    def contents(self, namespace: str) -> list[tuple[str, str]]:
        """(name, content) of each secret of the namespace, ordered by name."""


# -- Triggers: their records and SNS subscriptions (services/triggers.py)


class TriggerStore(Protocol):
    def add_trigger(self, record: TriggerRecord) -> None:
        """Store a new trigger; AlreadyExists for its name, Conflict if its endpoint is taken."""

    def set_subscription(self, record: TriggerRecord) -> None:
        """Record the trigger's subscription; NotFound if the trigger (this uid) is gone."""

    def get_trigger(self, namespace: str, stream: str, name: str) -> TriggerRecord | None: ...

    def list_triggers(self, namespace: str, stream: str) -> list[TriggerRecord]: ...

    def remove_trigger(self, record: TriggerRecord) -> None: ...


class Subscriptions(Protocol):
    def subscribe(self, protocol: str, endpoint: str, policy: dict) -> tuple[str, bool]:
        """(subscription ARN, pending confirmation)."""

    def unsubscribe(self, subscription_arn: str) -> None: ...


# -- Tag-change messages (services/notifications.py)


class Publisher(Protocol):
    def publish(self, messages: list[ImageStreamTagEvent]) -> None:
        """Publish all, in order, or raise PublishFailed naming the ones that were sent."""


class PublishLedger(Protocol):
    def published(self, event_ids: Sequence[str]) -> set[str]:
        """Which of these messages were published before."""

    def record(self, event_ids: Sequence[str]) -> None:
        """Remember these messages as published, for as long as the stream may deliver their
        records again; raises ServiceUnavailable when it cannot."""


# -- The integrated registry: ECR repositories, pushes, and the local registry's tokens


class Repositories(Protocol):
    def ensure(self, namespace: str, stream: str) -> None:
        """Make sure the stream's registry repository exists."""


class Ecr(Protocol):
    def manifest(self, repository: str, digest: str) -> tuple[bytes, str]: ...

    def blob(self, repository: str, digest: str) -> bytes: ...

    def tag_digest(self, repository: str, tag: str) -> str | None: ...

    def tagged_images(self, repository: str) -> Any: ...

    def repositories(self, prefix: str) -> Any: ...


# Where a reconcile pass stopped: the last (repository, tag) it dealt with.
Position = tuple[str, str]


class ReconcilePosition(Protocol):
    """How far the reconcile pass got, kept between runs (None: start at the beginning)."""

    def load(self) -> Position | None: ...

    def save(self, position: Position | None) -> None: ...


class TokenSigner(Protocol):
    def sign(self, claims: Mapping[str, Any]) -> str:
        """The claims as a JWT the registry verifies."""


class PruneRuns(Protocol):
    """Image prune runs and each run's keep set (the digests in use it found)."""

    def create(self, run: PruneRun) -> None:
        """Store a new run; AlreadyExists if one of that name exists."""

    def get(self, name: str) -> PruneRun | None: ...

    def list(self) -> list[PruneRun]:
        """Every run kept (runs expire a week after they end), newest first."""

    def save(self, run: PruneRun, read_step: int) -> bool:
        """Store `run` if the stored run is still at step `read_step`; False otherwise."""

    def keep(self, name: str, digests: set[str]) -> None:
        """Add digests to the run's keep set (adding one twice is harmless)."""

    def kept(self, name: str, digests: set[str]) -> set[str]:
        """Those of `digests` in the run's keep set."""


@dataclass(frozen=True)
class RegistryImage:
    """An image in a registry repository, as the registry describes it."""

    digest: str
    pushed_at: datetime
    size: int
    media_type: str = ""


class PrunableRegistry(Protocol):
    """The registry of the streams' repositories (ECR), as a prune reads and deletes it."""

    def images_page(self, repository: str, token: str | None
                    ) -> tuple[list[RegistryImage], str | None]:
        """A page of the repository's images and the token of the next (None: last);
        an empty last page for a repository that does not exist."""

    def index_children(self, repository: str, digests: list[str]) -> set[str]:
        """The digests the image indexes among `digests` list (other manifests: none)."""

    def delete(self, repository: str, digests: list[str]) -> set[str]:
        """Delete these images; the digests gone after it (deleted now, or before)."""
