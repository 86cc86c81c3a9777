"""load_listed_stream: a list page's streams loaded from the records the page read, as
load_stream would load them, and never with a later life's tags."""
from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.records import TagRecord
from chalicelib.services.ports import StreamStore

from .builders import NS, at, create, event, pushed, stream


def test_a_listed_stream_loads_as_load_stream_loads_it(store: StreamStore) -> None:
    latest, writes = pushed(TagRecord(name="latest", incarnation="i1"), event(1), event(2))
    bare = TagRecord(name="bare", incarnation="i1")
    create(store, stream(), put_tags=[latest, bare], history=writes)
    create(store, stream("empty"))
    create(store, stream("elsewhere", "other"))

    listed = store.list_streams(NS, 10, None).items + store.list_all_streams(10, None).items
    assert [record.name for record in listed] == ["app", "empty", "elsewhere", "app", "empty"]
    for record in listed:
        assert store.load_listed_stream(record) == store.load_stream(record.namespace,
                                                                     record.name)
    app = store.load_listed_stream(listed[0])
    assert app.tags == {"latest": latest, "bare": bare}
    assert app.history == {"latest": [event(2), event(1)], "bare": []}


def test_a_listed_stream_created_again_since_shows_none_of_the_new_life(
        store: StreamStore) -> None:
    first, writes = pushed(TagRecord(name="latest", incarnation="i1"), event(1))
    record = create(store, stream(), put_tags=[first], history=writes)
    listed = store.list_streams(NS, 10, None).items
    assert listed == [record]

    store.delete_stream(NS, "app", record.version)
    # deleted since the page was read: its own tags, until its cleanup, or none
    assert store.load_listed_stream(listed[0]).tags in ({}, {"latest": first})
    second, writes = pushed(TagRecord(name="latest", incarnation="i2"), event(5))
    create(store, replace(stream(), uid="second-life", created=at(60)), put_tags=[second],
           history=writes)

    snapshot = store.load_listed_stream(listed[0])
    assert snapshot.stream == record
    assert snapshot.tags == {} and snapshot.history == {}
