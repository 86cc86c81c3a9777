"""A pinned tag's waiting image is one of its stream's images while it waits: the tag's status
names it (NewerImageWaiting), and OpenShift finds any image a stream's status names. It
counts in the stream's image index from the commit that holds it, on every store, until the
hold clears or a newer image replaces it."""
from __future__ import annotations

import pytest

from chalicelib.domain.errors import NotFound
from chalicelib.domain.tags import PINNED
from chalicelib.resources.stream import ImageStreamTag
from chalicelib.services.actor import SERVICE
from chalicelib.services.ports import ImageRef, StreamStore

from .builders import NS, cleaned_up
from .test_store_services import Api, hex_of, pulled

PIN = {PINNED: "true"}


@pytest.fixture
def api(store: StreamStore) -> Api:
    return Api(store)


def found(api: Api, char: str) -> str | None:
    """The pull spec `app@<digest>` resolves to, None when the stream has no such image."""
    try:
        return api.istags.get_image(NS, f"app@sha256:{hex_of(char)}").image.docker_image_reference
    except NotFound:
        return None


def counts(store: StreamStore) -> list[ImageRef]:
    return store.find_images(NS, "app", "sha256:", 20)


def pin(api: Api, char: str) -> None:
    """Roll `latest` back to the stream's image `char` and pin it, as isctl rollback --pin."""
    api.tag("app:latest", {"kind": "ImageStreamImage", "name": f"app@sha256:{hex_of(char)}"},
            annotations=PIN)


def unpin(api: Api) -> None:
    body = ImageStreamTag.model_validate({"metadata": {"name": "app:latest",
                                                       "annotations": {}}})
    api.istags.put(SERVICE, NS, "app:latest", body, create_only=False)


def pinned_at_a(api: Api) -> None:
    api.create("app")
    api.map("app", "latest", hex_of("a"))
    pin(api, "a")


def test_the_image_a_pinned_tag_holds_is_found_until_a_newer_one_replaces_it(
        api: Api, store: StreamStore) -> None:
    pinned_at_a(api)
    api.map("app", "latest", hex_of("b"))  # a push: the tag holds it
    assert found(api, "b") == pulled("b")[1]
    assert [event[0] for event in api.history("app", "latest")] == [pulled("a")[0]]

    api.map("app", "latest", hex_of("c"))  # a newer push replaces what waits
    assert found(api, "c") == pulled("c")[1]
    assert found(api, "b") is None
    assert {ref.digest: ref.count for ref in counts(store)} == {
        pulled("a")[0]: 1, pulled("c")[0]: 1}


def test_unpinning_moves_to_the_waiting_image_which_counts_once(
        api: Api, store: StreamStore) -> None:
    pinned_at_a(api)
    api.map("app", "latest", hex_of("b"))
    unpin(api)
    assert [event[0] for event in api.history("app", "latest")] == [pulled("b")[0],
                                                                      pulled("a")[0]]
    assert {ref.digest: ref.count for ref in counts(store)} == {
        pulled("a")[0]: 1, pulled("b")[0]: 1}


def test_a_users_change_of_the_spec_drops_the_waiting_image(api: Api, store: StreamStore) -> None:
    pinned_at_a(api)
    api.map("app", "latest", hex_of("b"))
    # the user sets another source, keeping the pin: nothing waits
    api.tag("app:latest", {"kind": "DockerImage", "name": "quay.io/team/app:2"},
            reference=True, annotations=PIN)
    assert found(api, "b") is None
    assert [ref.digest for ref in counts(store)] == [pulled("a")[0]]


def test_a_waiting_image_also_in_the_history_counts_for_both_and_leaves_with_the_tag(
        api: Api, store: StreamStore) -> None:
    api.create("app")
    api.map("app", "latest", hex_of("a"))
    api.map("app", "latest", hex_of("b"))
    pin(api, "a")  # history a, b, a
    api.map("app", "latest", hex_of("b"))  # b waits, and is in the history too
    assert {ref.digest: ref.count for ref in counts(store)} == {
        pulled("a")[0]: 2, pulled("b")[0]: 2}

    api.map("app", "other", hex_of("c"))
    api.istags.delete(SERVICE, NS, "app:latest")
    cleaned_up(store)
    assert found(api, "b") is None and found(api, "a") is None
    assert [(ref.digest, ref.count) for ref in counts(store)] == [(pulled("c")[0], 1)]


def test_a_pinned_tag_without_an_image_yet_holds_one_found_in_its_stream(api: Api) -> None:
    api.create("app", {"name": "latest", "annotations": PIN,
                       "from": {"kind": "DockerImage", "name": "quay.io/team/app:1"}})
    api.map("app", "latest", hex_of("d"))
    assert found(api, "d") == pulled("d")[1]
