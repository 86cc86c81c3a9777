"""History at any size, on both stores: a stream shows each tag's recent events, the rest is
paged from the tag's history, and a deleted tag's history goes without coming back."""
from __future__ import annotations

import pytest

from chalicelib.domain import history as rules
from chalicelib.domain.errors import NotFound
from chalicelib.domain.records import TagRecord
from chalicelib.services.ports import StreamStore
from chalicelib.services.tag_history import tag_history
from chalicelib.services.views import OMITTED_ANNOTATION

from .builders import NS, cleaned_up, create, event, history, pushed, stream, update
from .test_store_services import Api, hex_of, pulled


@pytest.fixture(autouse=True)
def few_recent_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tag keeps three events with it here, so a short history goes past the bound."""
    monkeypatch.setattr(rules, "RECENT_EVENTS", 3)


@pytest.fixture
def api(store: StreamStore) -> Api:
    return Api(store)


def delete_tag(store: StreamStore, name: str, tag: str) -> None:
    """What the istag DELETE commits: the tag goes, its history is left to the cleanup."""
    record, current = store.get_stream_tag(NS, name, tag)
    assert record is not None and current is not None
    update(store, record, delete_tags=[current])


def test_history_pages_reach_the_oldest_event(store: StreamStore) -> None:
    tag, writes = pushed(TagRecord(name="latest", incarnation="i1"), event(1), event(2))
    record = create(store, stream(), put_tags=[tag], history=writes)
    for n in range(3, 8):
        tag, writes = pushed(tag, event(n))
        record = update(store, record, put_tags=[tag], history=writes)

    first = store.history_page(NS, "app", tag, 3, None)
    assert first.events == [event(7), event(6), event(5)] and first.before == 5
    second = store.history_page(NS, "app", tag, 3, first.before)
    assert second.events == [event(4), event(3), event(2)] and second.before == 2
    last = store.history_page(NS, "app", tag, 3, second.before)
    assert last.events == [event(1)] and last.before is None
    # a page that ends on the oldest event is the last one
    assert store.history_page(NS, "app", tag, 7, None).before is None
    assert history(store, tag, page=1) == [event(n) for n in range(7, 0, -1)]

    snapshot = store.load_stream(NS, "app")
    assert snapshot is not None and snapshot.history == {"latest": [event(7), event(6), event(5)]}


def test_the_status_shows_recent_events_and_counts_the_rest(api: Api) -> None:
    api.create("app")
    for char in "abcde":
        api.map("app", "latest", hex_of(char))
    shown = api.streams.get(NS, "app")
    assert [image for image, _, _ in api.history("app", "latest")] == [
        pulled(char)[0] for char in "edc"]
    assert (shown.metadata.annotations or {})[OMITTED_ANNOTATION] == "2"

    page, after = tag_history(api.streams.store, NS, "app:latest", 2, None)
    assert [e.image for e in page.items] == [pulled(c)[0] for c in "ed"] and after is not None
    page, after = tag_history(api.streams.store, NS, "app:latest", 2, after)
    assert [e.image for e in page.items] == [pulled(c)[0] for c in "cb"] and after is not None
    page, after = tag_history(api.streams.store, NS, "app:latest", 2, after)
    assert [e.image for e in page.items] == [pulled("a")[0]] and after is None
    with pytest.raises(NotFound):
        tag_history(api.streams.store, NS, "app:missing", 2, None)


def test_a_rollback_reaches_an_event_older_than_the_recent_ones(api: Api) -> None:
    api.create("app")
    for char in "abcde":
        api.map("app", "latest", hex_of(char))
    # "a" is no longer in the stream's status, only in the tag's history
    assert pulled("a")[0] not in {image for image, _, _ in api.history("app", "latest")}
    api.tag("app:latest", {"kind": "ImageStreamImage", "name": "app@" + hex_of("a")[:12]})
    assert api.istags.get(NS, "app:latest").image.metadata.name == pulled("a")[0]
    assert api.history("app", "latest")[0][:2] == pulled("a")


def test_a_tag_set_again_before_its_cleanup_keeps_none_of_its_old_history(api: Api) -> None:
    api.create("app")
    for char in "abcd":
        api.map("app", "latest", hex_of(char))
    delete_tag(api.streams.store, "app", "latest")
    api.map("app", "latest", hex_of("e"))  # a new life of the tag, its cleanup still to run
    assert [image for image, _, _ in api.history("app", "latest")] == [pulled("e")[0]]
    page, _ = tag_history(api.streams.store, NS, "app:latest", 10, None)
    assert [e.image for e in page.items] == [pulled("e")[0]]

    cleaned_up(api.streams.store)
    cleaned_up(api.streams.store)  # again: nothing is left, nothing changes
    page, _ = tag_history(api.streams.store, NS, "app:latest", 10, None)
    assert [e.image for e in page.items] == [pulled("e")[0]]
    for char in "abcd":
        with pytest.raises(NotFound):
            api.istags.get_image(NS, "app@" + hex_of(char))
    assert api.istags.get_image(NS, "app@" + hex_of("e")).image.metadata.name == pulled("e")[0]


def test_a_deleted_stream_created_again_shows_nothing_of_its_past(api: Api) -> None:
    api.create("app")
    for char in "abcd":
        api.map("app", "latest", hex_of(char))
    record = api.streams.store.get_stream(NS, "app")
    assert record is not None
    api.streams.store.delete_stream(NS, "app", record.version)
    with pytest.raises(NotFound):
        api.streams.get(NS, "app")
    api.create("app")
    assert api.streams.get(NS, "app").status.tags is None
    cleaned_up(api.streams.store)
    assert api.streams.get(NS, "app").status.tags is None
    with pytest.raises(NotFound):
        api.istags.get_image(NS, "app@" + hex_of("a"))
    api.tag("app:latest", {"kind": "DockerImage", "name": "quay.io/team/app:1"}, reference=True)
    assert [ref for _, ref, _ in api.history("app", "latest")] == ["quay.io/team/app:1"]
