"""Pruning's in-use rules one by one, on both stores: a tag's head, its newest N events,
young events, an image another namespace's stream references, a pinned tag's images."""
from __future__ import annotations

from chalicelib.domain.tags import PINNED
from chalicelib.resources.stream import ImageStream, ImageStreamMapping
from chalicelib.services.actor import SERVICE
from chalicelib.services.ports import StreamStore
from tests.contract.builders import NS, cleaned_up
from tests.contract.test_store_services import REGISTRY, Api, hex_of, pulled

from .conftest import A_DAY_LATER, Pruner

OTHER = "elsewhere"


def map_all(api: Api, chars: str, stream: str = "app", tag: str = "latest") -> None:
    for char in chars:
        api.map(stream, tag, hex_of(char))


def events(store: StreamStore, stream: str = "app", tag: str = "latest",
           namespace: str = NS) -> list[str]:
    """Every event the tag's history still has, newest first, paged two at a time."""
    record = store.get_tag(namespace, stream, tag)
    assert record is not None
    found, before = [], None
    while True:
        page = store.history_page(namespace, stream, record, 2, before)
        found += [event.image for event in page.events]
        if page.before is None:
            return found
        before = page.before


def images(store: StreamStore) -> set[str]:
    return {image.metadata.name or "" for image in store.list_images(1000, None).items}


def digests(chars: str) -> list[str]:
    return [pulled(char)[0] for char in chars]


def test_the_head_is_kept_whatever_keep_tag_revisions_says(api: Api, store: StreamStore,
                                                           prune: Pruner) -> None:
    api.create("app")
    map_all(api, "abcde")
    run = prune(keepTagRevisions=0, dryRun=False)
    assert run.status is not None and run.status.phase == "Succeeded"
    assert run.status.removed.history_events == 4
    assert run.status.removed.images == 4
    assert events(store) == digests("e")
    assert images(store) == set(digests("e"))


def test_the_newest_n_events_are_kept(api: Api, store: StreamStore, prune: Pruner) -> None:
    api.create("app")
    map_all(api, "abcdef")
    run = prune(keepTagRevisions=3, dryRun=False)
    assert run.status is not None and run.status.removed.history_events == 3
    assert events(store) == digests("fed")
    assert images(store) == set(digests("fed"))


def test_young_events_are_kept(api: Api, store: StreamStore, prune: Pruner) -> None:
    api.create("app")
    map_all(api, "abcdef")
    tag = store.get_tag(NS, "app", "latest")
    assert tag is not None
    created = {event.image: event.created for event in tag.recent}  # "d" and newer
    young = int((A_DAY_LATER - created[digests("d")[0]]).total_seconds())
    run = prune(keepTagRevisions=1, keepYoungerThan=f"{young}s", dryRun=False)
    assert run.status is not None and run.status.removed.history_events == 3
    assert events(store) == digests("fed")
    assert images(store) == set(digests("fed"))


def test_an_image_another_namespace_references_is_kept(api: Api, store: StreamStore,
                                                       prune: Pruner) -> None:
    api.create("app")
    map_all(api, "abcd")
    other = Api(store)
    other.streams.create(SERVICE, OTHER, ImageStream.model_validate({"metadata": {"name": "b"}}))
    # "a" is the other namespace's head, "b" in its kept history: both go from app's history
    for char in "ba":
        other.istags.map(SERVICE, OTHER, ImageStreamMapping.model_validate({
            "metadata": {"name": "b"}, "tag": "latest",
            "image": {"dockerImageReference": f"{REGISTRY}/team/app@sha256:{hex_of(char)}"}}))
    run = prune(keepTagRevisions=2, dryRun=False)
    assert run.status is not None and run.status.removed.history_events == 2
    assert events(store) == digests("dc")
    assert events(store, "b", namespace=OTHER) == digests("ab")
    assert images(store) == set(digests("abcd"))


def test_every_image_of_a_pinned_tag_is_kept_and_its_held_one(api: Api, store: StreamStore,
                                                              prune: Pruner) -> None:
    api.create("app")
    map_all(api, "abcde")
    api.tag("app:latest", {"kind": "ImageStreamImage", "name": "app@" + hex_of("e")},
            annotations={PINNED: "true"})
    api.map("app", "latest", hex_of("f"))  # held: the pin keeps the head at "e"
    tag = store.get_tag(NS, "app", "latest")
    assert tag is not None and tag.held is not None and tag.held.image == digests("f")[0]
    run = prune(keepTagRevisions=1, dryRun=False)
    assert run.status is not None and run.status.removed.history_events == 0
    assert run.status.removed.images == 0
    assert events(store) == digests("edcba")
    assert images(store) == set(digests("abcdef"))
    cleaned_up(store)
    assert events(store) == digests("edcba")
