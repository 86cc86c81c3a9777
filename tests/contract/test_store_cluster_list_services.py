"""Lists across namespaces through the services, on every store: streams with a label
selector, and image stream tags with an image ordered by `<namespace>/<stream>` then tag."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib.domain.errors import BadRequest
from chalicelib.resources.stream import ImageStream, ImageStreamMapping, ImageStreamTag
from chalicelib.services.actor import SERVICE
from chalicelib.services.ports import StreamStore, stream_key
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService

from .test_store_cluster_lists import EXPECTED, NAMESPACES, STREAMS, every_page

REGISTRY = "registry.test"


def services(store: StreamStore) -> tuple[StreamService, StreamTagService]:
    return StreamService(store, REGISTRY), StreamTagService(store, REGISTRY)


def create_stream(streams: StreamService, namespace: str, name: str, **labels: str) -> None:
    streams.create(SERVICE, namespace, ImageStream.model_validate(
        {"metadata": {"name": name, "labels": labels or None}}))


def map_image(tags: StreamTagService, namespace: str, name: str, tag: str, char: str) -> None:
    tags.map(SERVICE, namespace, ImageStreamMapping.model_validate({
        "metadata": {"name": name}, "tag": tag,
        "image": {"dockerImageReference": f"{REGISTRY}/{namespace}/{name}@sha256:{char * 64}"}}))


def reference_only(tags: StreamTagService, namespace: str, name: str, tag: str) -> None:
    """A tag without an image: it is left out of image stream tag lists."""
    tags.put(SERVICE, namespace, f"{name}:{tag}", ImageStreamTag.model_validate({"tag": {
        "from": {"kind": "DockerImage", "name": "quay.io/team/app:1"}, "reference": True}}),
        create_only=False)


def test_streams_of_every_namespace_with_a_label_selector(store: StreamStore) -> None:
    streams, _ = services(store)
    for namespace, name in STREAMS:
        create_stream(streams, namespace, name, tier="web" if name[-1] in "02468" else "db")

    def names(limit: int, selector: Callable[[dict[str, str]], bool]) -> list[list[str]]:
        def read(count: int, after: str | None) -> tuple[list, str | None]:
            page, after = streams.list_all(count, after, selector)
            return [f"{s.metadata.namespace}/{s.metadata.name}" for s in page.items], after
        return [found for found, _ in every_page(read, limit)]

    everything = [stream_key(*s) for s in EXPECTED]
    web = [key for key in everything if key[-1] in "02468"]
    for limit in (1, 4, 7, 30):
        pages = names(limit, lambda labels: True)
        assert [key for page in pages for key in page] == everything
        pages = names(limit, lambda labels: labels.get("tier") == "web")
        assert [key for page in pages for key in page] == web
        assert all(len(page) == limit for page in pages[:-1])
    page, after = streams.list_all(2, None, lambda labels: labels.get("tier") == "db")
    assert [s.metadata.name for s in page.items] == ["s01", "s03"]
    assert after == "ops/s03"
    # a whole stream, as a GET shows it
    first, _ = streams.list_all(1, None, lambda labels: True)
    assert first.items == [streams.get("ops", "s00")]


def test_image_stream_tags_of_every_namespace_page_by_page(store: StreamStore) -> None:
    streams, tags = services(store)
    expected = []
    fewer = [(namespace, name) for namespace, name in EXPECTED if name < "s05"]  # faster
    for (namespace, name), char in zip(fewer, "0123456789abcdef"):
        create_stream(streams, namespace, name)
        if name == "s03":
            continue  # a stream without tags
        reference_only(tags, namespace, name, "a-reference")
        for tag in ("latest", "1.0") if name[-1] in "02468" else ("v1",):
            map_image(tags, namespace, name, tag, char)
            expected.append(f"{namespace}/{name}:{tag}")
    expected.sort(key=lambda key: key.split(":"))  # by stream, then tag

    def read(limit: int, after: str | None) -> tuple[list, str | None]:
        page, after = tags.list_all(limit, after)
        return [f"{t.metadata.namespace}/{t.metadata.name}" for t in page.items], after

    for limit in (1, 4, len(expected), len(expected) + 1):
        pages = every_page(read, limit)
        assert [key for found, _ in pages for key in found] == expected
        assert [after for _, after in pages[:-1]] == [found[-1] for found, _ in pages[:-1]]
        assert all(len(found) == limit for found, _ in pages[:-1])

    first, after = tags.list_all(3, None)
    assert after == "ops/s01:v1"
    assert first.items[0] == tags.get("ops", "s00:1.0")
    assert read(2, "ops/s02:1.0") == (["ops/s02:latest", "ops/s04:1.0"], "ops/s04:1.0")
    assert read(1, "team/s04:latest") == ([], None)


def test_image_stream_tags_of_streams_deleted_or_created_between_pages(
        store: StreamStore) -> None:
    streams, tags = services(store)
    for namespace, char in zip(NAMESPACES, "abc"):
        for name in ("a", "b", "c"):
            create_stream(streams, namespace, name)
            map_image(tags, namespace, name, "latest", char)
    page, after = tags.list_all(2, None)
    assert [t.metadata.name for t in page.items] == ["a:latest", "b:latest"]
    assert after == "ops/b:latest"

    streams.delete("ops", "c")
    create_stream(streams, "ops", "bb")
    map_image(tags, "ops", "bb", "latest", "d")
    page, after = tags.list_all(2, after)
    assert [f"{t.metadata.namespace}/{t.metadata.name}" for t in page.items] == [
        "ops/bb:latest", "team-b/a:latest"]


@pytest.mark.parametrize("after", ["no-slash:tag", "team/no-tag", "/app:latest", "team/a:b:c"])
def test_a_continue_key_that_names_no_tag_is_refused(store: StreamStore, after: str) -> None:
    with pytest.raises(BadRequest, match="continue"):
        services(store)[1].list_all(5, after)
