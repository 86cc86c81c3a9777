"""The store contract held in process memory: for fast tests and as the contract's reference."""
from __future__ import annotations

import threading
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import datetime

from ..domain.errors import ConcurrentUpdate
from ..domain.history import shown_events
from ..domain.records import StreamRecord, StreamSnapshot, TagEvent, TagRecord
from ..resources.image import Image
from ..services.ports import (
    ChangeSet,
    DueEntry,
    DueRepository,
    DueTag,
    HistoryPage,
    ImageRef,
    Page,
    stream_key,
)
from ..services.stream_write import STREAMS
from . import dynamodb_items as items


@dataclass
class _Stream:
    record: StreamRecord
    tags: dict[str, TagRecord] = field(default_factory=dict)
    history: dict[tuple[str, str], dict[int, TagEvent]] = field(default_factory=dict)
    followers: dict[str, set[str]] = field(default_factory=dict)
    images: dict[str, list] = field(default_factory=dict)  # digest: [count, reference]


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._images: dict[str, Image] = {}
        # The schedule entries of streams' repositories, apart as DynamoDB keeps them: an
        # entry can be set before its stream exists.
        self._repositories: dict[tuple[str, str], datetime] = {}

    def get_stream(self, namespace: str, name: str) -> StreamRecord | None:
        with self._lock:
            stream = self._streams.get((namespace, name))
            return stream.record if stream else None

    def get_tag(self, namespace: str, name: str, tag: str) -> TagRecord | None:
        return self.get_stream_tag(namespace, name, tag)[1]

    def get_stream_tag(self, namespace: str, name: str, tag: str
                       ) -> tuple[StreamRecord | None, TagRecord | None]:
        with self._lock:
            stream = self._streams.get((namespace, name))
            return (stream.record, stream.tags.get(tag)) if stream else (None, None)

    def get_followers(self, namespace: str, name: str, tag: str) -> list[str]:
        with self._lock:
            stream = self._streams.get((namespace, name))
            return sorted(stream.followers.get(tag, ())) if stream else []

    def history_page(self, namespace: str, name: str, tag: TagRecord, limit: int,
                     before: int | None) -> HistoryPage:
        with self._lock:
            stream = self._streams.get((namespace, name))
            events = stream.history.get((tag.name, tag.incarnation), {}) if stream else {}
            # Nothing at or below what a prune cut, as DynamoDB reads before its cleanup.
            seqs = [seq for seq in sorted(events, reverse=True)
                    if (before is None or seq < before) and seq > tag.pruned_to][:max(limit, 0)]
            more = bool(seqs) and any(tag.pruned_to < seq < seqs[-1] for seq in events)
            return HistoryPage([events[seq] for seq in seqs], seqs[-1] if more else None)

    def load_stream(self, namespace: str, name: str) -> StreamSnapshot | None:
        with self._lock:
            stream = self._streams.get((namespace, name))
            if stream is None:
                return None
            history = {tag.name: list(shown_events(tag)) for tag in stream.tags.values()}
            return StreamSnapshot(stream.record, dict(stream.tags), history)

    def load_listed_stream(self, record: StreamRecord) -> StreamSnapshot:
        with self._lock:
            stream = self._streams.get((record.namespace, record.name))
            tags = dict(stream.tags) if stream and stream.record.uid == record.uid else {}
            return StreamSnapshot(record, tags,
                                  {name: list(shown_events(tag)) for name, tag in tags.items()})

    def list_streams(self, namespace: str, limit: int, after: str | None) -> Page:
        with self._lock:
            names = sorted(n for ns, n in self._streams if ns == namespace)
            start = bisect_right(names, after) if after is not None else 0
            chosen = names[start:start + limit]
            records = [self._streams[(namespace, n)].record for n in chosen]
            more = start + limit < len(names)
            return Page(records, chosen[-1] if more and chosen else None)

    def list_all_streams(self, limit: int, after: str | None) -> Page:
        with self._lock:
            keyed = sorted((stream_key(*key), stream.record)
                           for key, stream in self._streams.items())
            start = bisect_right([k for k, _ in keyed], after) if after is not None else 0
            chosen = keyed[start:start + limit]
            more = start + limit < len(keyed)
            return Page([record for _, record in chosen],
                        chosen[-1][0] if more and chosen else None)

    def find_images(self, namespace: str, name: str, prefix: str, limit: int) -> list[ImageRef]:
        with self._lock:
            stream = self._streams.get((namespace, name))
            if stream is None:
                return []
            found = [ImageRef(digest, ref, count)
                     for digest, (count, ref) in sorted(stream.images.items())
                     if digest.startswith(prefix) and count > 0]
            return found[:limit]

    def commit(self, changes: ChangeSet) -> None:
        # The DynamoDB store's limits, before anything is written (TooLarge): an item over
        # its size, a change of over 100 writes or 4 MB. Both stores refuse the same changes.
        items.plan_commit(changes)
        record = changes.stream
        key = (record.namespace, record.name)
        with self._lock:
            current = self._streams.get(key)
            if changes.expected_version is None:
                if current is not None:
                    raise ConcurrentUpdate.of(STREAMS, record.name)
                current = self._streams[key] = _Stream(record)
            elif (current is None or current.record.version != changes.expected_version
                  or current.record.uid != record.uid):
                raise ConcurrentUpdate.of(STREAMS, record.name)
            current.record = record
            for tag in changes.delete_tags:
                current.tags.pop(tag.name, None)
            for tag in changes.put_tags:
                current.tags[tag.name] = tag
            for write in changes.history:
                events = current.history.setdefault((write.tag, write.incarnation), {})
                events[write.seq] = write.event
            for source, follower in changes.unfollow:
                current.followers.get(source, set()).discard(follower)
            for source, follower in changes.follow:
                current.followers.setdefault(source, set()).add(follower)
            for digest, (delta, reference) in changes.image_refs.items():
                entry = current.images.setdefault(digest, [0, reference])
                entry[0] += delta
                if delta >= 0:
                    entry[1] = reference
            put_lives = {(tag.name, tag.incarnation) for tag in changes.put_tags}
            for tag in changes.delete_tags:
                if (tag.name, tag.incarnation) in put_lives:
                    continue
                # What DynamoDB's cleanup does after the commit, done at once here.
                for event in current.history.pop((tag.name, tag.incarnation), {}).values():
                    if event.image in current.images:
                        current.images[event.image][0] -= 1
            for cut in changes.prune_history:
                events = current.history.get((cut.tag, cut.incarnation), {})
                for seq in [seq for seq in events if seq <= cut.upto]:
                    event = events.pop(seq)
                    if event.image in current.images:
                        current.images[event.image][0] -= 1

    def due_entries(self, before: datetime, limit: int) -> list[DueEntry]:
        with self._lock:
            due: list[tuple[datetime, str, DueEntry]] = [
                (tag.due, tag.name, DueTag(stream.record, tag))
                for stream in self._streams.values() for tag in stream.tags.values()
                if tag.due is not None and tag.due <= before]
            for key, when in list(self._repositories.items()):
                if when > before:
                    continue
                if key not in self._streams:  # the stream is gone: so is its entry
                    del self._repositories[key]
                    continue
                due.append((when, "", DueRepository(self._streams[key].record, when)))
        due.sort(key=lambda d: (d[0], d[2].stream.namespace, d[2].stream.name, d[1]))
        return [entry for _, _, entry in due[:max(limit, 0)]]

    def reschedule(self, namespace: str, name: str, tag: TagRecord,
                   due: datetime | None) -> bool:
        with self._lock:
            stream = self._streams.get((namespace, name))
            current = stream.tags.get(tag.name) if stream else None
            if (stream is None or current is None or current.incarnation != tag.incarnation
                    or current.due != tag.due):
                return False
            stream.tags[tag.name] = replace(current, due=due)
            return True

    def reschedule_repository(self, namespace: str, name: str, read: datetime | None,
                              due: datetime | None) -> bool:
        key = (namespace, name)
        with self._lock:
            if read is not None and self._repositories.get(key) != read:
                return False
            if due is None:
                self._repositories.pop(key, None)
            else:
                self._repositories[key] = due
            return True

    def clean_up(self, mark: tuple[str, str]) -> bool:
        return True  # a delete here removes everything at once

    def delete_stream(self, namespace: str, name: str, expected_version: int) -> None:
        with self._lock:
            current = self._streams.get((namespace, name))
            if current is None or current.record.version != expected_version:
                raise ConcurrentUpdate.of(STREAMS, name)
            del self._streams[(namespace, name)]

    def put_image(self, image: Image) -> bool:
        items.check_size(items.encode_image(image))
        with self._lock:
            digest = image.metadata.name or ""
            if digest in self._images:
                return False
            self._images[digest] = image
            return True

    def get_image(self, digest: str) -> Image | None:
        with self._lock:
            return self._images.get(digest)

    def delete_image(self, digest: str) -> bool:
        with self._lock:
            return self._images.pop(digest, None) is not None

    def list_images(self, limit: int, after: str | None) -> Page:
        with self._lock:
            names = sorted(self._images)
            start = bisect_right(names, after) if after is not None else 0
            chosen = names[start:start + limit]
            more = start + limit < len(names)
            return Page([self._images[n] for n in chosen], chosen[-1] if more and chosen else None)
