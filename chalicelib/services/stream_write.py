"""One planned write to a stream: tags set, moved, deleted, followers moved with them."""
from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from ..domain import tags as rules
from ..domain.changes import object_version
from ..domain.errors import (
    ConcurrentUpdate,
    Conflict,
    FieldErrors,
    Invalid,
    NotFound,
    TooManyRequests,
)
from ..domain.history import add_event, hold
from ..domain.imports import (
    ImportContext,
    ImportOutcome,
    after_import,
    import_conditions,
    imported_event,
    source_of,
)
from ..domain.records import HistoryWrite, StreamRecord, TagRecord
from ..domain.validation import not_found
from ..resources.stream import TagEvent, TagReference
from .actor import Actor
from .ports import ChangeSet, ImageRef, StreamStore
from .views import repository_of

STREAMS = "imagestreams.image.openshift.io"
STREAM_IMAGES = "imagestreamimages.image.openshift.io"


def new_incarnation() -> str:
    return secrets.token_hex(4)


class StreamWrite:
    """Collects the changes of one request against the stream version it read."""

    def __init__(self, store: StreamStore, stream: StreamRecord, now: datetime,
                 expected_version: int | None, *, actor: Actor,
                 imports: ImportContext | None = None, registry: str = ""):
        self.store = store
        self.actor = actor
        self.stream = stream
        self.original = stream
        self.imports = imports or ImportContext()
        # The integrated registry: pull-through pull specs, and its sources' namespaces.
        self.registry = registry
        self.now = now
        self.expected_version = expected_version
        self.spec_changed = False
        self._tags: dict[str, TagRecord | None] = {}
        self._as_read: dict[str, TagRecord | None] = {}  # each tag as the store had it
        self._dirty: set[str] = set()
        self._deleted: dict[str, TagRecord] = {}
        self._history: list[HistoryWrite] = []
        self._follow: set[tuple[str, str]] = set()
        self._unfollow: set[tuple[str, str]] = set()
        self._image_refs: dict[str, tuple[int, str]] = {}

    @property
    def namespace(self) -> str:
        return self.stream.namespace

    @property
    def name(self) -> str:
        return self.stream.name

    @property
    def next_generation(self) -> int:
        """The generation a spec change in this write gives the stream."""
        base = self.stream.generation
        return base + 1 if self.expected_version is not None else base

    def tag(self, name: str) -> TagRecord | None:
        if name not in self._tags:
            self._tags[name] = self._as_read[name] = (
                None if self.expected_version is None
                else self.store.get_tag(self.namespace, self.name, name))
        return self._tags[name]

    def _put(self, record: TagRecord) -> None:
        self._tags[record.name] = record
        self._dirty.add(record.name)

    def set_spec(self, ref: TagReference, field: str, resource: str = STREAMS,
                 name: str | None = None) -> None:
        """Store a spec tag and resolve its source into an event, importing it if it asks to.

        `resource` and `name` say which object an Invalid error is about.
        """
        current = self.tag(ref.name)
        old_spec = current.spec if current else None
        if not rules.source_changed(old_spec, ref):
            return
        if current is not None and rules.only_pin_changed(old_spec, ref):
            self._pin(current, ref)
            return
        self.spec_changed = True
        ref = rules.with_generation(ref, self.next_generation)
        errors = FieldErrors()
        followed = rules.tracked_tag(ref, self.namespace, self.name)
        if followed is not None:
            error = rules.cycle_error(ref.name, self.name, self._spec_of, self.namespace,
                                      f"{field}.from", followed)
            if error:
                errors.add(error.field, error.message)
        errors.raise_if_any(resource, name or self.name)
        self.actor.check_spec_source(ref, self.namespace, self.registry, field)
        self._relink(ref.name, rules.tracked_tag(old_spec, self.namespace, self.name), followed)
        record = current or TagRecord(name=ref.name, incarnation=new_incarnation())
        # Whoever sets the source is its author: a scheduled import acts for them. Setting it
        # is the user's choice of image, so what a pin held waits no longer.
        self._put(replace(record, spec=ref, conditions=(), due=None, import_digest="", held=None,
                          author=self.actor.subject))
        source = source_of(ref, self.stream.annotations)
        if source is not None:
            outcome = self.imports.outcomes.get(source)
            if outcome is None:
                self.imports.missing.add(source)  # fetched before this write is planned again
            else:
                self.apply_import(ref.name, ref, outcome, deliberate=True)
            return
        try:
            event = self._resolve(ref)
        except SourceNotFound as missing:
            raise Invalid(resource, name or self.name,
                          [not_found(f"{field}.from.name", missing.name)]) from None
        if event is not None:
            self.move(ref.name, event, deliberate=True)

    def _pin(self, current: TagRecord, ref: TagReference) -> None:
        """Pin or unpin the tag where it is. Unpinning moves it at once to the image that
        waited, the newest its import, pushes or tracked source brought meanwhile."""
        self.spec_changed = True
        generation = current.spec.generation if current.spec else None
        self._put(replace(current, spec=rules.with_generation(ref, generation)))
        if not rules.is_pinned(ref) and current.held is not None:
            self.move(ref.name, current.held.model_copy(update={"created": self.now}),
                      deliberate=True)

    def apply_import(self, tag: str, spec: TagReference, outcome: ImportOutcome,
                     deliberate: bool = False) -> None:
        """Apply an import of `spec` to the tag, unless the tag's spec changed meanwhile:
        success moves it (and its followers), failure sets its condition and keeps its image.
        A pinned tag is moved only by a `deliberate` import (its spec just set by a user)."""
        current = self.tag(tag)
        if current is None or current.spec != spec:
            return
        held = not deliberate and rules.is_pinned(spec)
        if outcome.succeeded:
            self.move(tag, imported_event(spec, outcome, self.now), deliberate=deliberate)
            current = self.tag(tag)
            assert current is not None
        updated = after_import(current, outcome, self.now, self.imports.interval)
        if held:
            # The import digest stays the head's: the held image is no import of the head.
            updated = replace(updated, import_digest=current.import_digest)
        if updated != current:
            self._put(updated)

    def record_failure(self, tag: str, outcome: ImportOutcome, generation: int) -> None:
        """Set a failed import's condition on the tag, creating a status-only tag if needed."""
        current = self.tag(tag) or TagRecord(name=tag, incarnation=new_incarnation())
        conditions = import_conditions(current.conditions, outcome, generation, self.now)
        if conditions != current.conditions:
            self._put(replace(current, conditions=conditions))

    def drop_spec(self, tag: str) -> None:
        """Remove a spec tag but keep its history (a stream update that drops the tag)."""
        current = self.tag(tag)
        if current is None or current.spec is None:
            return
        self.spec_changed = True
        self._relink(tag, rules.tracked_tag(current.spec, self.namespace, self.name), None)
        if current.head is None:
            self.delete(tag)
        else:
            self._put(replace(current, spec=None, conditions=(), due=None, import_digest="",
                              held=None))

    def delete(self, tag: str) -> bool:
        """Delete spec and status tag; images stay. False if the tag did not exist."""
        current = self.tag(tag)
        if current is None:
            return False
        if current.spec is not None:
            self.spec_changed = True
        self._relink(tag, rules.tracked_tag(current.spec, self.namespace, self.name), None)
        self._tags[tag] = None
        self._dirty.discard(tag)
        self._deleted[tag] = current
        return True

    def move(self, tag: str, event: TagEvent, deliberate: bool = False) -> None:
        """Put `event` on the tag by the history rules, then move every tag that follows it.

        A pinned tag holds the event instead (domain/history.py `hold`), unless the move is
        `deliberate`: a user set this tag's own spec. Followers only ever follow, so a
        pinned follower always holds."""
        pending = [(tag, event, deliberate)]
        visited: set[str] = set()
        while pending:
            name, next_event, chosen = pending.pop(0)
            if name in visited:
                continue
            visited.add(name)
            record = self.tag(name) or TagRecord(name=name, incarnation=new_incarnation())
            if not chosen and rules.is_pinned(record.spec):
                kept = hold(record, next_event, self.now)
                if kept != record:
                    self._put(kept)
                continue
            updated, write = add_event(record, next_event)
            if write is None:
                continue
            self._put(replace(updated, import_digest=""))  # the head no longer is an import's
            self._history.append(write)
            if write.replaced is not None:
                self._count_image(write.replaced, -1)
            self._count_image(write.event, +1)
            assert updated.head is not None
            for follower in self._followers(name):
                spec = self.tag(follower)
                if spec and rules.tracked_tag(spec.spec, self.namespace, self.name) == name:
                    generation = (spec.spec.generation if spec.spec else None) or 0
                    pending.append((follower, rules.copied_event(updated.head, generation,
                                                                 self.now), False))

    @property
    def changed(self) -> bool:
        return bool(self.stream != self.original or self.spec_changed or self._dirty
                    or self._deleted or self._history or self._follow or self._unfollow)

    def changeset(self) -> ChangeSet:
        stream = self.stream
        if stream.docker_image_repository and (
                self.expected_version is None
                or stream.docker_image_repository != self.original.docker_image_repository):
            # Whoever sets the repository is its author: its scheduled import acts for them.
            stream = replace(stream, repository_author=self.actor.subject)
        if self.expected_version is not None:
            stream = stream.bumped(spec_changed=self.spec_changed)
        puts = [tag for name in sorted(self._dirty) if (tag := self._tags.get(name))]
        # A tag's waiting image counts in the index while it waits: the tag's status names
        # it, and a stream's ImageStreamImage is any image its status names, as in OpenShift.
        image_refs = dict(self._image_refs)
        for name in sorted(self._dirty | set(self._deleted)):
            before, after = self._as_read.get(name), self._tags.get(name)
            waited = before.held if before else None
            waits = after.held if after else None
            if (waited.image if waited else "") != (waits.image if waits else ""):
                if waited is not None:
                    _count(image_refs, waited, -1)
                if waits is not None:
                    _count(image_refs, waits, +1)
        return ChangeSet(stream=stream, expected_version=self.expected_version,
                         put_tags=puts, delete_tags=list(self._deleted.values()),
                         history=self._history, follow=self._follow, unfollow=self._unfollow,
                         image_refs=image_refs)

    # -- helpers

    def _spec_of(self, tag: str) -> TagReference | None:
        record = self.tag(tag)
        return record.spec if record else None

    def _followers(self, tag: str) -> list[str]:
        stored = set() if self.expected_version is None else set(
            self.store.get_followers(self.namespace, self.name, tag))
        stored |= {f for s, f in self._follow if s == tag}
        stored -= {f for s, f in self._unfollow if s == tag}
        return sorted(stored)

    def _relink(self, tag: str, old_source: str | None, new_source: str | None) -> None:
        if old_source == new_source:
            return
        if old_source is not None:
            self._follow.discard((old_source, tag))
            self._unfollow.add((old_source, tag))
        if new_source is not None:
            self._unfollow.discard((new_source, tag))
            self._follow.add((new_source, tag))

    def _count_image(self, event: TagEvent, delta: int) -> None:
        _count(self._image_refs, event, delta)

    def _resolve(self, ref: TagReference) -> TagEvent | None:
        """The event a spec tag's source gives now; None while the source has no image.

        SourceNotFound when the stream or image it names does not exist.
        """
        generation = ref.generation or 0
        if rules.is_reference_only(ref):
            return rules.reference_event(ref, self.now)
        stream_tag = rules.source_stream_tag(ref, self.namespace, self.name)
        if stream_tag is not None:
            namespace, stream, tag = stream_tag
            if (namespace, stream) == (self.namespace, self.name):
                source = self.tag(tag)
            else:
                source_stream, source = self.store.get_stream_tag(namespace, stream, tag)
                if source_stream is None:
                    raise SourceNotFound(ref.from_.name if ref.from_ else "")
            if source is None or source.head is None:
                return None
            return self._pulled_here(ref, namespace,
                                     rules.copied_event(source.head, generation, self.now))
        stream_image = rules.source_stream_image(ref, self.namespace, self.name)
        if stream_image is not None:
            namespace, stream, wanted = stream_image
            try:
                match = find_stream_image(self.store, namespace, stream, wanted)
            except NotFound:
                raise SourceNotFound(ref.from_.name if ref.from_ else "") from None
            return self._pulled_here(ref, namespace, TagEvent(
                created=self.now, docker_image_reference=match.docker_image_reference,
                image=match.digest, generation=generation))
        return None

    def _pulled_here(self, ref: TagReference, source_namespace: str, event: TagEvent
                     ) -> TagEvent:
        """An image copied from another namespace's stream is pulled through this stream, as
        OpenShift rewrites it, so pulling it needs no access to the source namespace; a
        `reference` tag keeps the source's pull spec."""
        repository = repository_of(self.namespace, self.name, self.registry)
        if source_namespace == self.namespace or ref.reference or not repository or not event.image:
            return event
        return event.model_copy(update={"docker_image_reference": f"{repository}@{event.image}"})


class SourceNotFound(Exception):
    """A spec tag's source names a stream, or a stream image, that does not exist."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _count(image_refs: dict[str, tuple[int, str]], event: TagEvent, delta: int) -> None:
    """Add `delta` to the count of the event's image; an increment moves the reference."""
    if not event.image:
        return
    count, reference = image_refs.get(event.image, (0, event.docker_image_reference))
    if delta > 0:
        reference = event.docker_image_reference
    image_refs[event.image] = (count + delta, reference)


def find_stream_image(store: StreamStore, namespace: str, stream: str, wanted: str) -> ImageRef:
    """Resolve `stream@digest-or-prefix` to the one image of that stream it names."""
    prefix = wanted if ":" in wanted else f"sha256:{wanted}"
    matches = store.find_images(namespace, stream, prefix, 2)
    if not matches:
        raise NotFound.of(STREAM_IMAGES, f"{stream}@{wanted}")
    if len(matches) > 1:
        raise Conflict(f'multiple images match the prefix "{wanted}"',
                       kind="imagestreamimages", name=f"{stream}@{wanted}")
    return matches[0]

# A write without a resourceVersion that loses a race is planned again on fresh data, for
# this long after its first loss (the API's Lambda has 28 s). Between attempts it waits a
# random part (full jitter) of a pause that starts at twice the attempt it lost and doubles
# with each loss: the busier the stream, the longer an attempt takes, so writers racing for
# one stream spread out over as much time as they need instead of colliding again. A fixed
# count of immediate retries ran out with a dozen writers on one stream, and the callers
# got a Conflict they had not asked for. Optimistic writes are not fair, though: a writer
# can lose every race for the whole time. It is then answered 429 TooManyRequests with
# Retry-After (client-go retries that by itself), not a Conflict it did not ask for.
RETRY_SECONDS = 20.0
LONGEST_PAUSE_SECONDS = 2.0
MAX_IMPORT_ROUNDS = 3  # a plan that keeps finding new sources to import lost too many races


def write_stream(store: StreamStore, namespace: str, name: str, now: datetime,
                 expected_version: str | None, plan: Callable[[StreamWrite], None], *,
                 actor: Actor, create: StreamRecord | None = None,
                 imports: ImportContext | None = None, registry: str = "") -> StreamRecord:
    """Plan a write with `plan(write)` and commit it, re-planning after a concurrent write.

    A caller that sent a resourceVersion gets Conflict when it is stale instead of a retry;
    any other gets it only after RETRY_SECONDS of lost races.
    With `create`, a missing stream is created from that record in the same commit;
    `registry` is the integrated registry images copied from other namespaces are pulled
    through; `actor` is who the write acts for (services/actor.py). A plan that needs
    registry imports is not committed: the imports are fetched (outside any
    transaction) and the write planned again with their outcomes. A plan that changes
    nothing writes nothing. Returns the stream record as written.
    """
    imports = imports or ImportContext()
    lost = rounds = 0
    give_up_at: float | None = None
    while True:
        started = time.monotonic()
        stream = store.get_stream(namespace, name)
        if stream is None:
            if create is None:
                raise NotFound.of(STREAMS, name)
            write = StreamWrite(store, create, now, None, actor=actor, imports=imports,
                                registry=registry)
        else:
            if (expected_version is not None
                    and object_version(expected_version) != str(stream.version)):
                raise ConcurrentUpdate.of(STREAMS, name)
            write = StreamWrite(store, stream, now, stream.version, actor=actor,
                                imports=imports, registry=registry)
        plan(write)
        if imports.missing:
            rounds += 1
            if rounds > MAX_IMPORT_ROUNDS:
                raise ConcurrentUpdate.of(STREAMS, name)
            imports.fetch_missing()
            continue
        if write.expected_version is not None and not write.changed:
            return write.original  # the stream as read: an existing one, left as it was
        changes = write.changeset()
        try:
            store.commit(changes)
        except ConcurrentUpdate as lost_race:
            lost_at = time.monotonic()
            if give_up_at is None:
                give_up_at = started + RETRY_SECONDS
            if expected_version is not None:
                raise
            if lost_at >= give_up_at:
                raise TooManyRequests(
                    f'image stream "{name}" is being changed by too many writers at once; '
                    "nothing was written, retry shortly",
                    kind=STREAMS.split(".")[0], name=name) from lost_race
            lost += 1
            time.sleep(random.uniform(0, min(LONGEST_PAUSE_SECONDS,
                                             (lost_at - started) * 2 ** lost)))
            continue
        return changes.stream
