"""The StreamStore contract for the import schedule: due tags, next-due updates."""
from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.records import TagRecord
from chalicelib.resources.stream import TagReference
from chalicelib.services.ports import StreamStore

from .builders import NS, at, create, digest, event, pushed, stream, update


def scheduled(name: str, due_seconds: int, **fields: object) -> TagRecord:
    spec = TagReference.model_validate({
        "name": name, "from": {"kind": "DockerImage", "name": f"quay.io/team/{name}:1"},
        "generation": 1, "importPolicy": {"scheduled": True}})
    return TagRecord(name=name, incarnation=f"inc-{name}", spec=spec, due=at(due_seconds),
                     **fields)


def due_names(store: StreamStore, before_seconds: int, limit: int = 100) -> list[str]:
    return [f"{d.stream.namespace}/{d.stream.name}:{d.tag.name}"
            for d in store.due_entries(at(before_seconds), limit)]


def test_schedule_fields_round_trip(store: StreamStore) -> None:
    tag = scheduled("web", 10, import_digest=digest(5))
    tag = replace(tag, due=tag.due.replace(microsecond=123456))
    create(store, stream(), put_tags=[tag, TagRecord(name="plain", incarnation="p")])
    assert store.get_tag(NS, "app", "web") == tag
    assert store.get_tag(NS, "app", "plain") == TagRecord(name="plain", incarnation="p")
    snapshot = store.load_stream(NS, "app")
    assert snapshot is not None and snapshot.tags["web"] == tag


def test_due_tags_are_the_ones_due_oldest_first(store: StreamStore) -> None:
    create(store, stream("a"), put_tags=[scheduled("late", 300), scheduled("early", 100),
                                         TagRecord(name="unscheduled", incarnation="u")])
    create(store, stream("b"), put_tags=[scheduled("middle", 200)])
    create(store, stream("c", namespace="other"), put_tags=[scheduled("x", 150)])
    assert due_names(store, 99) == []
    assert due_names(store, 100) == [f"{NS}/a:early"]
    assert due_names(store, 1000) == [f"{NS}/a:early", "other/c:x", f"{NS}/b:middle",
                                      f"{NS}/a:late"]
    assert due_names(store, 1000, limit=2) == [f"{NS}/a:early", "other/c:x"]
    [due] = store.due_entries(at(100), 10)
    assert due.stream == stream("a") and due.tag == scheduled("early", 100)


def test_times_with_and_without_fractions_sort_by_time(store: StreamStore) -> None:
    whole = scheduled("whole", 10)
    fraction = replace(scheduled("fraction", 9), due=at(9).replace(microsecond=500000))
    create(store, stream(), put_tags=[whole, fraction])
    assert due_names(store, 10) == [f"{NS}/app:fraction", f"{NS}/app:whole"]


def test_reschedule_moves_only_the_due_time(store: StreamStore) -> None:
    tag, writes = pushed(scheduled("web", 10), event(1))
    record = create(store, stream(), put_tags=[tag], history=writes)
    assert store.reschedule(NS, "app", tag, at(900))
    moved = replace(tag, due=at(900))
    assert store.get_tag(NS, "app", "web") == moved
    assert store.get_stream(NS, "app") == record  # the version did not move
    assert due_names(store, 899) == [] and due_names(store, 900) == [f"{NS}/app:web"]

    # stale: the due time or the incarnation it was read with is gone
    assert not store.reschedule(NS, "app", tag, at(1800))
    assert not store.reschedule(NS, "app", replace(moved, incarnation="other"), at(1800))
    assert not store.reschedule(NS, "gone", moved, at(1800))
    assert store.get_tag(NS, "app", "web") == moved

    assert store.reschedule(NS, "app", moved, None)
    assert store.get_tag(NS, "app", "web") == replace(tag, due=None)
    assert due_names(store, 10_000) == []


def test_a_commit_that_unschedules_a_tag_takes_it_out(store: StreamStore) -> None:
    tag = scheduled("web", 10)
    record = create(store, stream(), put_tags=[tag])
    update(store, record, put_tags=[replace(tag, due=None)])
    assert due_names(store, 10_000) == []
    assert not store.reschedule(NS, "app", tag, at(20))  # the read it was planned on is stale


def test_tags_of_a_deleted_stream_are_not_due(store: StreamStore) -> None:
    record = create(store, stream(), put_tags=[scheduled("web", 10)])
    store.delete_stream(NS, "app", record.version)
    assert due_names(store, 10_000) == []
    create(store, replace(stream(), uid="new-life"), put_tags=[scheduled("web", 20)])
    assert [d.tag.due for d in store.due_entries(at(10_000), 10)] == [at(20)]
