"""The StreamStore contract, driven through the port: records in, the same records out."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.records import HistoryWrite, TagRecord
from chalicelib.resources.stream import TagEventCondition, TagReference
from chalicelib.services.ports import ChangeSet, ImageRef, StreamStore

from .builders import (
    NS,
    at,
    cleaned_up,
    create,
    digest,
    event,
    history,
    image,
    pushed,
    stream,
    update,
)


def full_spec(name: str) -> TagReference:
    return TagReference.model_validate({
        "name": name, "annotations": {"description": "naïve café ☕", "empty": ""},
        "from": {"kind": "ImageStreamTag", "name": "app:source", "namespace": "other"},
        "reference": True, "generation": 4,
        "importPolicy": {"insecure": True, "scheduled": False, "importMode": "PreserveOriginal"},
        "referencePolicy": {"type": "Local"},
    })


def test_stream_record_round_trips_every_field(store: StreamStore) -> None:
    record = stream(generation=3, version=1, labels={"app": "web", "tier": ""},
                    annotations={"note": "ünïcode ✓", "empty": ""}, lookup_local=True,
                    docker_image_repository="registry.test/team/app")
    record = replace(record, created=datetime(2024, 3, 1, 14, 0, 0, 123456,
                                              tzinfo=timezone(timedelta(hours=2))))
    create(store, record)

    assert store.get_stream(NS, "app") == record
    snapshot = store.load_stream(NS, "app")
    assert snapshot is not None and snapshot.stream == record
    assert snapshot.tags == {} and snapshot.history == {}
    assert store.list_streams(NS, 10, None).items == [record]


def test_tag_record_round_trips_every_field(store: StreamStore) -> None:
    conditions = (
        TagEventCondition(type="ImportSuccess", status="False", reason="NotFound",
                          message="not found", generation=4,
                          last_transition_time=at(1).replace(microsecond=250000)),
        TagEventCondition(type="Other", status="Unknown"),
    )
    head = event(7).model_copy(update={"created": at(7).replace(microsecond=5)})
    full = TagRecord(name="full", incarnation="inc1", spec=full_spec("full"), head=head,
                     head_seq=7, conditions=conditions, recent=(head, event(6)))
    bare = TagRecord(name="bare", incarnation="inc2")
    create(store, stream(), put_tags=[full, bare])

    assert store.get_tag(NS, "app", "full") == full
    assert store.get_tag(NS, "app", "bare") == bare
    assert store.get_tag(NS, "app", "missing") is None
    assert store.get_tag(NS, "missing", "full") is None
    assert store.get_stream_tag(NS, "app", "full") == (store.get_stream(NS, "app"), full)
    assert store.get_stream_tag(NS, "app", "missing") == (store.get_stream(NS, "app"), None)
    assert store.get_stream_tag(NS, "missing", "full") == (None, None)
    snapshot = store.load_stream(NS, "app")
    assert snapshot is not None
    assert snapshot.tags == {"full": full, "bare": bare}
    assert snapshot.history == {"full": [head, event(6)], "bare": []}


def test_history_is_newest_first_and_head_updates_in_place(store: StreamStore) -> None:
    tag, writes = pushed(TagRecord(name="latest", incarnation="i1"), event(1), event(2))
    record = create(store, stream(), put_tags=[tag], history=writes)
    tag, writes = pushed(tag, event(3))
    record = update(store, record, put_tags=[tag], history=writes)
    assert history(store, tag) == [event(3), event(2), event(1)]

    # items[0] rewritten in place: same sequence number, new generation
    moved = event(3, generation=2)
    record = update(store, record, put_tags=[replace(tag, head=moved,
                                                     recent=(moved, *tag.recent[1:]))],
                    history=[HistoryWrite("latest", "i1", tag.head_seq, moved, event(3))])
    assert history(store, tag) == [moved, event(2), event(1)]
    snapshot = store.load_stream(NS, "app")
    assert snapshot is not None
    assert snapshot.history == {"latest": [moved, event(2), event(1)]}
    assert snapshot.tags["latest"].head == moved
    assert snapshot.stream == record


def test_tags_whose_names_share_a_prefix_keep_apart(store: StreamStore) -> None:
    short, short_writes = pushed(TagRecord(name="3.5", incarnation="a"), event(1))
    long, long_writes = pushed(TagRecord(name="3.5.1", incarnation="a"), event(2), event(3))
    create(store, stream(), put_tags=[short, long], history=short_writes + long_writes,
           follow={("3.5.1", "x"), ("3.5", "y")})

    assert history(store, short) == [event(1)]
    assert history(store, long) == [event(3), event(2)]
    assert store.get_followers(NS, "app", "3.5") == ["y"]
    assert store.get_followers(NS, "app", "3.5.1") == ["x"]
    snapshot = store.load_stream(NS, "app")
    assert snapshot is not None
    assert snapshot.history == {"3.5": [event(1)], "3.5.1": [event(3), event(2)]}


def test_a_deleted_tag_takes_its_history_with_it(store: StreamStore) -> None:
    old, writes = pushed(TagRecord(name="latest", incarnation="old"), event(1), event(2))
    record = create(store, stream(), put_tags=[old], history=writes)
    record = update(store, record, delete_tags=[old])
    assert store.get_tag(NS, "app", "latest") is None
    cleaned_up(store)
    assert history(store, old) == []

    # set again, and deleted and set again within one change: only the newest life shows
    new, writes = pushed(TagRecord(name="latest", incarnation="new"), event(3))
    record = update(store, record, put_tags=[new], history=writes)
    newer, writes = pushed(TagRecord(name="latest", incarnation="newer"), event(4))
    record = update(store, record, delete_tags=[new], put_tags=[newer], history=writes)
    assert store.get_tag(NS, "app", "latest") == newer
    cleaned_up(store)
    assert history(store, new) == []
    assert history(store, newer) == [event(4)]
    snapshot = store.load_stream(NS, "app")
    assert snapshot is not None and snapshot.history == {"latest": [event(4)]}


def test_follower_links_are_added_and_removed(store: StreamStore) -> None:
    record = create(store, stream(), follow={("src", "b"), ("src", "a"), ("other", "c")})
    assert store.get_followers(NS, "app", "src") == ["a", "b"]
    record = update(store, record, unfollow={("src", "b")}, follow={("src", "d")})
    assert store.get_followers(NS, "app", "src") == ["a", "d"]
    assert store.get_followers(NS, "app", "other") == ["c"]
    assert store.get_followers(NS, "app", "none") == []
    assert store.get_followers(NS, "missing", "src") == []


def test_image_index_counts_and_prefix_lookup(store: StreamStore) -> None:
    one, two, three = "sha256:ab" + "1" * 62, "sha256:ab" + "2" * 62, "sha256:cd" + "3" * 62
    record = create(store, stream(), image_refs={one: (2, "r/one@1"), two: (1, "r/two@1"),
                                                 three: (1, "r/three@1")})
    assert store.find_images(NS, "app", "sha256:ab1", 2) == [ImageRef(one, "r/one@1", 2)]
    assert store.find_images(NS, "app", "sha256:ab", 2) == [
        ImageRef(one, "r/one@1", 2), ImageRef(two, "r/two@1", 1)]
    assert store.find_images(NS, "app", "sha256:", 1) == [ImageRef(one, "r/one@1", 2)]
    assert store.find_images(NS, "app", "sha256:ef", 2) == []
    assert store.find_images(NS, "missing", "sha256:", 2) == []

    # a decrement keeps the reference; an increment takes the new one; zero hides the image
    record = update(store, record, image_refs={one: (-1, "r/ignored"), two: (-1, "r/two@2"),
                                               three: (1, "r/three@2")})
    assert store.find_images(NS, "app", "sha256:", 3) == [
        ImageRef(one, "r/one@1", 1), ImageRef(three, "r/three@2", 2)]
    assert store.find_images(NS, "app", "sha256:ab2", 2) == []


def test_lists_streams_of_a_namespace_page_by_page(store: StreamStore) -> None:
    names = ["a", "b", "c", "d", "e"]
    for name in reversed(names):
        create(store, stream(name))
    create(store, stream("a", namespace="elsewhere"))

    def pages(limit: int, after: str | None = None) -> list[tuple[list[str], str | None]]:
        seen = []
        while True:
            page = store.list_streams(NS, limit, after)
            seen.append(([r.name for r in page.items], page.after))
            if page.after is None:
                return seen
            after = page.after

    assert pages(2) == [(["a", "b"], "b"), (["c", "d"], "d"), (["e"], None)]
    assert pages(5) == [(names, None)]
    assert pages(6) == [(names, None)]
    assert pages(1, "b") == [(["c"], "c"), (["d"], "d"), (["e"], None)]
    assert pages(2, "bb") == [(["c", "d"], "d"), (["e"], None)]  # after a name not stored
    assert pages(2, "e") == [([], None)]
    assert [r.namespace for r in store.list_streams(NS, 10, None).items] == [NS] * 5
    assert store.list_streams("empty", 10, None).items == []


def test_lists_images_page_by_page(store: StreamStore) -> None:
    for n in (3, 1, 2):
        assert store.put_image(image(n)) is True
    first = store.list_images(2, None)
    assert [i.metadata.name for i in first.items] == [digest(1), digest(2)]
    assert first.after == digest(2)
    last = store.list_images(2, first.after)
    assert [i.metadata.name for i in last.items] == [digest(3)] and last.after is None
    exact = store.list_images(3, None)
    assert len(exact.items) == 3 and exact.after is None
    assert store.list_images(1, digest(3)).items == []


def test_put_image_keeps_the_first(store: StreamStore) -> None:
    first, second = image(1, v="first"), image(1, v="second")
    assert store.get_image(digest(1)) is None
    assert store.put_image(first) is True
    assert store.put_image(second) is False
    assert store.get_image(digest(1)) == first


def test_a_stale_version_is_a_concurrent_update_and_writes_nothing(store: StreamStore) -> None:
    record = create(store, stream())
    current = update(store, record, put_tags=[TagRecord(name="a", incarnation="1")])
    with pytest.raises(ConcurrentUpdate):
        update(store, record, put_tags=[TagRecord(name="b", incarnation="1")],
               follow={("a", "b")}, image_refs={digest(1): (1, "r@1")})
    assert store.get_stream(NS, "app") == current
    assert store.get_tag(NS, "app", "b") is None
    assert store.get_followers(NS, "app", "a") == []
    assert store.find_images(NS, "app", "sha256:", 2) == []


def test_creating_an_existing_stream_is_a_concurrent_update(store: StreamStore) -> None:
    record = create(store, stream(labels={"first": "yes"}))
    with pytest.raises(ConcurrentUpdate):
        create(store, stream(), put_tags=[TagRecord(name="a", incarnation="1")])
    assert store.get_stream(NS, "app") == record
    assert store.get_tag(NS, "app", "a") is None


def test_updating_a_missing_stream_is_a_concurrent_update(store: StreamStore) -> None:
    with pytest.raises(ConcurrentUpdate):
        store.commit(ChangeSet(stream=stream(version=2), expected_version=1))
    assert store.get_stream(NS, "app") is None


def test_delete_stream_removes_everything(store: StreamStore) -> None:
    tag, writes = pushed(TagRecord(name="latest", incarnation="i1", spec=full_spec("latest")),
                         event(1), event(2))
    record = create(store, stream(), put_tags=[tag], history=writes,
                    follow={("latest", "copy")}, image_refs={digest(1): (1, "r@1")})
    with pytest.raises(ConcurrentUpdate):
        store.delete_stream(NS, "app", record.version + 1)
    assert store.get_stream(NS, "app") == record

    store.delete_stream(NS, "app", record.version)
    assert store.get_stream(NS, "app") is None
    assert store.load_stream(NS, "app") is None
    assert store.get_tag(NS, "app", "latest") is None
    assert store.list_streams(NS, 10, None).items == []
    with pytest.raises(ConcurrentUpdate):
        store.delete_stream(NS, "app", record.version)

    again = create(store, replace(stream(), uid="second-life", created=at(60)))
    snapshot = store.load_stream(NS, "app")
    assert snapshot is not None
    assert snapshot.stream == again and snapshot.tags == {} and snapshot.history == {}
    assert store.get_tag(NS, "app", "latest") is None
    assert history(store, tag) == []
    assert store.get_followers(NS, "app", "latest") == []
    assert store.find_images(NS, "app", "sha256:", 2) == []


def test_a_write_planned_on_a_deleted_stream_cannot_land_on_its_successor(
        store: StreamStore) -> None:
    read = create(store, stream())
    store.delete_stream(NS, "app", read.version)
    successor = create(store, replace(stream(), uid="second-life"))
    with pytest.raises(ConcurrentUpdate):
        update(store, read, put_tags=[TagRecord(name="stale", incarnation="1")])
    assert store.get_stream(NS, "app") == successor
    assert store.get_tag(NS, "app", "stale") is None
