"""Records and change sets for driving a StreamStore directly."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.dynamodb_cleanup import finish_all
from chalicelib.adapters.dynamodb_store import DynamoStore
from chalicelib.domain.history import newest, shown_events
from chalicelib.domain.records import HistoryWrite, StreamRecord, TagRecord
from chalicelib.resources.image import Image
from chalicelib.resources.meta import ObjectMeta
from chalicelib.resources.stream import TagEvent
from chalicelib.services.ports import ChangeSet, StreamStore

T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
NS = "team"


def digest(n: int) -> str:
    return f"sha256:{n:064x}"


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def stream(name: str = "app", namespace: str = NS, **fields: Any) -> StreamRecord:
    return StreamRecord(namespace=namespace, name=name, uid=f"uid-{namespace}-{name}",
                        created=T0, **fields)


def event(n: int, generation: int = 1, seconds: int | None = None) -> TagEvent:
    return TagEvent(created=at(n if seconds is None else seconds), image=digest(n),
                    docker_image_reference=f"registry.test/team/app@{digest(n)}",
                    generation=generation)


def pushed(tag: TagRecord, *events: TagEvent) -> tuple[TagRecord, list[HistoryWrite]]:
    """The tag after pushing `events` on top, one new history item each."""
    writes = []
    for new in events:
        tag = replace(tag, head=new, head_seq=tag.head_seq + 1,
                      recent=newest((new, *shown_events(tag))))
        writes.append(HistoryWrite(tag.name, tag.incarnation, tag.head_seq, new))
    return tag, writes


def cleaned_up(store: StreamStore) -> None:
    """What the table stream's consumer does after a delete, done now: the cleanup marks a
    DynamoDB store's deletes left are worked off (a store in memory deletes at once)."""
    if isinstance(store, DynamoStore):
        finish_all(store._client, store._table)


def history(store: StreamStore, tag: TagRecord, name: str = "app", namespace: str = NS,
            page: int = 2) -> list[TagEvent]:
    """Every event of the tag's life, newest first, read `page` at a time."""
    events: list[TagEvent] = []
    before = None
    while True:
        found = store.history_page(namespace, name, tag, page, before)
        assert len(found.events) <= page
        events += found.events
        if found.before is None:
            return events
        before = found.before


def image(n: int, **labels: str) -> Image:
    return Image(metadata=ObjectMeta(name=digest(n), creation_timestamp=T0, labels=labels or None),
                 docker_image_reference=f"registry.test/team/app@{digest(n)}")


def create(store: StreamStore, record: StreamRecord, **changes: Any) -> StreamRecord:
    store.commit(ChangeSet(stream=record, expected_version=None, **changes))
    return record


def update(store: StreamStore, record: StreamRecord, **changes: Any) -> StreamRecord:
    """Commit `changes` on top of `record` (as read), returning the new stream record."""
    new = record.bumped()
    store.commit(ChangeSet(stream=new, expected_version=record.version, **changes))
    return new
