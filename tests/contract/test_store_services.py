"""The StreamStore contract as the services use it: the same API results on every store."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib.domain.errors import ConcurrentUpdate, Conflict, NotFound
from chalicelib.resources.stream import ImageStream, ImageStreamMapping, ImageStreamTag
from chalicelib.services.actor import SERVICE
from chalicelib.services.images import ImageService
from chalicelib.services.ports import StreamStore
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService

from .builders import NS, T0, cleaned_up

REGISTRY = "registry.test"


class Clock:
    """Each call is one second after the previous one."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class Api:
    def __init__(self, store: StreamStore) -> None:
        clock = Clock()
        self.streams = StreamService(store, REGISTRY, clock)
        self.istags = StreamTagService(store, REGISTRY, clock)
        self.images = ImageService(store)

    def create(self, name: str, *tags: dict, **metadata: object) -> ImageStream:
        return self.streams.create(SERVICE, NS, ImageStream.model_validate(
            {"metadata": {"name": name, **metadata}, "spec": {"tags": list(tags)}}))

    def map(self, stream: str, tag: str, hex_digest: str, repository: str = "team/app") -> None:
        self.istags.map(SERVICE, NS, ImageStreamMapping.model_validate({
            "metadata": {"name": stream}, "tag": tag,
            "image": {"dockerImageReference": f"{REGISTRY}/{repository}@sha256:{hex_digest}",
                      "dockerImageMetadata": {"Architecture": "amd64", "Size": 10}}}))

    def tag(self, name: str, source: dict, **spec: object) -> ImageStreamTag:
        body = ImageStreamTag.model_validate({"tag": {"from": source, **spec}})
        return self.istags.put(SERVICE, NS, name, body, create_only=False)[0]

    def history(self, stream: str, tag: str) -> list[tuple[str, str, int]]:
        for status in self.streams.get(NS, stream).status.tags or []:
            if status.tag == tag:
                return [(e.image, e.docker_image_reference, e.generation) for e in status.items]
        return []


def hex_of(char: str) -> str:
    return char * 64


def pulled(char: str, repository: str = "team/app") -> tuple[str, str]:
    return f"sha256:{hex_of(char)}", f"{REGISTRY}/{repository}@sha256:{hex_of(char)}"


@pytest.fixture
def api(store: StreamStore) -> Api:
    return Api(store)


def test_a_created_stream_reads_back_as_created(api: Api) -> None:
    created = api.create(
        "app",
        {"name": "pinned", "from": {"kind": "DockerImage", "name": "quay.io/team/app:1"},
         "reference": True, "annotations": {"owner": "team"}},
        {"name": "pending", "from": {"kind": "DockerImage", "name": "quay.io/team/app:2"},
         "importPolicy": {"scheduled": True}},
        {"name": "follows", "from": {"kind": "ImageStreamTag", "name": "app:pinned"}},
        labels={"tier": "web"}, annotations={"note": "ünïcode"},
    )
    assert api.streams.get(NS, "app") == created
    assert created.metadata.resource_version == "1" and created.metadata.generation == 1
    status = {t.tag: t for t in created.status.tags or []}
    assert [e.docker_image_reference for e in status["pinned"].items] == ["quay.io/team/app:1"]
    assert [e.docker_image_reference for e in status["follows"].items] == ["quay.io/team/app:1"]
    assert status["pending"].items == []
    assert [c.reason for c in status["pending"].conditions or []] == ["ImportNotConfigured"]


def test_mappings_build_history_newest_first_and_move_followers(api: Api) -> None:
    api.create("app", {"name": "stable", "from": {"kind": "ImageStreamTag", "name": "app:latest"}})
    for char in "abc":
        api.map("app", "latest", hex_of(char))
    expected = [pulled(char) for char in "cba"]
    assert [(image, ref) for image, ref, _ in api.history("app", "latest")] == expected
    assert [(image, ref) for image, ref, _ in api.history("app", "stable")] == expected

    istag = api.istags.get(NS, "app:stable")
    assert istag.image.metadata.name == pulled("c")[0]
    assert istag.image.docker_image_metadata is not None
    assert istag.image.docker_image_metadata.architecture == "amd64"


def test_the_same_image_from_elsewhere_updates_the_head_in_place(api: Api) -> None:
    api.create("app")
    api.map("app", "latest", hex_of("a"))
    api.map("app", "latest", hex_of("b"))
    api.map("app", "latest", hex_of("b"), repository="team/mirror")
    assert [(image, ref) for image, ref, _ in api.history("app", "latest")] == [
        pulled("b", "team/mirror"), pulled("a")]


def test_a_stream_image_shows_the_reference_of_its_latest_event(api: Api) -> None:
    api.create("app")
    api.map("app", "latest", hex_of("b"))
    api.map("app", "latest", hex_of("b"), repository="team/mirror")
    image = api.istags.get_image(NS, "app@" + hex_of("b")[:10])
    assert image.image.docker_image_reference == pulled("b", "team/mirror")[1]


def test_stream_images_are_found_by_a_unique_prefix(api: Api) -> None:
    api.create("app")
    api.map("app", "one", "ab" + "1" * 62)
    api.map("app", "two", "ab" + "2" * 62)
    assert api.istags.get_image(NS, "app@ab1").image.metadata.name == "sha256:ab" + "1" * 62
    assert (api.istags.get_image(NS, "app@sha256:ab2" + "2" * 61).image.metadata.name
            == "sha256:ab" + "2" * 62)
    with pytest.raises(Conflict, match="multiple images match"):
        api.istags.get_image(NS, "app@ab")
    with pytest.raises(NotFound):
        api.istags.get_image(NS, "app@cd")


def test_a_deleted_tag_comes_back_without_its_old_history(api: Api) -> None:
    api.create("app")
    api.map("app", "latest", hex_of("a"))
    api.map("app", "latest", hex_of("b"))
    api.istags.delete(SERVICE, NS, "app:latest")
    with pytest.raises(NotFound):
        api.istags.get(NS, "app:latest")
    assert api.streams.get(NS, "app").status.tags is None
    # its images left the stream with it, once the delete's cleanup ran
    cleaned_up(api.streams.store)
    with pytest.raises(NotFound):
        api.istags.get_image(NS, "app@" + hex_of("a"))

    api.map("app", "latest", hex_of("c"))
    assert [image for image, _, _ in api.history("app", "latest")] == [pulled("c")[0]]


def test_a_tag_set_from_a_stream_image_and_moved_by_spec(api: Api) -> None:
    api.create("app")
    api.map("app", "source", hex_of("a"))
    api.tag("app:copy", {"kind": "ImageStreamImage", "name": "app@" + hex_of("a")[:12]})
    api.tag("app:copy", {"kind": "DockerImage", "name": "quay.io/team/app:9"}, reference=True)
    assert api.history("app", "copy") == [("", "quay.io/team/app:9", 3), (*pulled("a"), 2)]
    stream = api.streams.get(NS, "app")
    assert stream.metadata.generation == 3 and stream.metadata.resource_version == "4"


def test_a_deleted_stream_is_gone_and_its_name_starts_afresh(api: Api) -> None:
    api.create("app", {"name": "pinned", "from": {"kind": "DockerImage", "name": "quay.io/a:1"},
                       "reference": True})
    api.map("app", "latest", hex_of("a"))
    api.streams.delete(NS, "app")
    with pytest.raises(NotFound):
        api.streams.get(NS, "app")
    with pytest.raises(NotFound):
        api.istags.get(NS, "app:latest")

    again = api.create("app")
    assert again.status.tags is None and again.spec.tags is None
    with pytest.raises(NotFound):
        api.istags.get_image(NS, "app@" + hex_of("a"))


def test_a_stale_resource_version_is_a_conflict(api: Api) -> None:
    first = api.create("app")
    api.map("app", "latest", hex_of("a"))
    stale = first.model_copy(deep=True)
    stale.metadata.labels = {"changed": "yes"}
    with pytest.raises(ConcurrentUpdate):
        api.streams.replace(SERVICE, NS, "app", stale)
    with pytest.raises(ConcurrentUpdate):
        api.streams.delete(NS, "app", expected_version=first.metadata.resource_version)
    assert api.streams.get(NS, "app").metadata.labels is None


def test_streams_and_images_list_page_by_page(api: Api) -> None:
    for name, char in zip(["e", "d", "c", "b", "a"], "12345"):
        api.create(name)
        api.map(name, "latest", hex_of(char))

    def streams(limit: int) -> list[list[str]]:
        pages, after = [], None
        while True:
            page, after = api.streams.list(NS, limit, after, lambda labels: True)
            pages.append([s.metadata.name for s in page.items])
            if after is None:
                return pages

    assert streams(2) == [["a", "b"], ["c", "d"], ["e"]]
    assert streams(5) == [["a", "b", "c", "d", "e"]]
    first, after = api.images.list(3, None)
    rest, end = api.images.list(3, after)
    assert [i.metadata.name for i in first.items + rest.items] == [
        pulled(c)[0] for c in "12345"]
    assert end is None
    tags, after = api.istags.list_tags(NS, 4, None)
    assert [t.metadata.name for t in tags.items] == [f"{n}:latest" for n in "abcd"]
