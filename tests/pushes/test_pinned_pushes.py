"""A pinned tag against an ECR push event and a registry webhook: the pushed image is
recorded and waits on the tag, which stays where its user put it."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.registry import AddressPolicy, RegistryClient
from chalicelib.resources.stream import ImageStream, ImageStreamTag
from chalicelib.services.actor import SERVICE
from chalicelib.services.pushes import PushService
from chalicelib.services.registry_webhook import RegistryNotifications
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService
from testbed.dynamodb import mocked_table
from testbed.oci_layout import OciLayout
from testbed.registry import plain_registry  # noqa: F401 (fixture)
from testbed.tag_messages import TagMessages

from .conftest import REGISTRY, Registry, ecr_registry
from .test_registry_notifications import envelope_for

PIN = {"imagestreams.dev/pinned": "true"}


def pin_to(tags: StreamTagService, namespace: str, stream: str, digest: str) -> None:
    """Roll `stream:latest` back to `digest` of its history and pin it there."""
    tags.put(SERVICE, namespace, f"{stream}:latest", ImageStreamTag.model_validate({"tag": {
        "from": {"kind": "ImageStreamImage", "name": f"{stream}@{digest}"},
        "annotations": PIN}}), create_only=False)


def waiting(store, namespace: str, stream: str) -> list[tuple[str, str, str]]:
    tag = store.get_tag(namespace, stream, "latest")
    return [(c.type, c.reason or "", c.message or "") for c in tag.conditions]


@pytest.fixture
def ecr() -> Iterator[tuple[Registry, TagMessages]]:
    with mocked_table() as table, ecr_registry(table.store()) as registry:
        yield registry, TagMessages(table)


def test_an_ecr_push_to_a_pinned_tag_is_recorded_and_waits(ecr):
    registry, messages = ecr
    images = []
    for cmd in ("/v1", "/v2"):
        manifest, media_type = registry.image(cmd=cmd)
        images.append(registry.push("shop/web", "latest", manifest, media_type))
        assert registry.pushes.handle_event(
            SERVICE, registry.event("shop/web", "latest", images[-1])) == "moved"
    first, second = images
    pin_to(registry.tags, "shop", "web", first)
    messages.new()
    manifest, media_type = registry.image(cmd="/v3")
    third = registry.push("shop/web", "latest", manifest, media_type)
    event = registry.event("shop/web", "latest", third)
    assert registry.pushes.handle_event(SERVICE, event) == "held"
    assert registry.store.get_tag("shop", "web", "latest").head.image == first
    assert registry.store.get_image(third) is not None
    [(kind, reason, message)] = waiting(registry.store, "shop", "web")
    assert (kind, reason) == ("NewerImageWaiting", "Pinned") and third in message
    [held] = messages.new()
    assert (held["type"], held["image"], held["held"]) == (
        "Held", first, {"image": third, "dockerImageReference": f"{REGISTRY}/shop/web@{third}"})
    assert registry.pushes.handle_event(SERVICE, event) == "held"  # redelivered
    assert messages.new() == []
    assert registry.pushes.reconcile(SERVICE) == {}  # it waits already: nothing to repair
    assert registry.store.get_tag("shop", "web", "latest").head.image == first


def test_a_registry_webhook_push_to_a_pinned_tag_is_recorded_and_waits(plain_registry,  # noqa: F811
                                                                        tmp_path):
    layout = OciLayout(tmp_path / "layout")
    built = []
    for n in range(3):
        image = layout.image([{"app": f"v{n}".encode()}])
        layout.tag(f"v{n}", image)
        built.append(image)
    with mocked_table() as table:
        store = table.store()
        streams = StreamService(store, plain_registry.host)
        tags = StreamTagService(store, plain_registry.host)
        client = RegistryClient(policy=AddressPolicy(["127.0.0.0/8"]))
        service = RegistryNotifications(lambda: client, plain_registry.host,
                                        PushService(store, streams, tags), insecure=True)
        messages = TagMessages(table)

        def push(n: int) -> dict[str, int]:
            plain_registry.push(layout, f"v{n}", "shop/web:latest")
            return service.handle(SERVICE, envelope_for(
                plain_registry.host, "shop/web", "latest", built[n].manifest.digest,
                built[n].manifest.media_type))

        streams.create(SERVICE, "shop", ImageStream.model_validate({"metadata": {"name": "web"}}))
        push(0)
        push(1)
        pin_to(tags, "shop", "web", built[0].manifest.digest)
        messages.new()
        assert push(2) == {"held": 1, "ignored": 1}
        head = store.get_tag("shop", "web", "latest").head
        assert head.image == built[0].manifest.digest
        third = built[2].manifest.digest
        assert store.get_image(third) is not None
        [(kind, reason, message)] = waiting(store, "shop", "web")
        assert (kind, reason) == ("NewerImageWaiting", "Pinned") and third in message
        [held] = messages.new()
        assert (held["type"], held["image"], held["held"]["image"]) == (
            "Held", head.image, third)
        assert held["held"]["dockerImageReference"] == f"{plain_registry.host}/shop/web@{third}"
