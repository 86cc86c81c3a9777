"""A pinned tag against the scheduled re-import: the new image is recorded and waits."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.resources.imports import ImageStreamImport
from chalicelib.resources.stream import ImageStreamTag
from chalicelib.services.actor import SERVICE
from testbed.dynamodb import DynamoTable, atomic_requests
from testbed.oci_layout import OciLayout
from testbed.tag_messages import TagMessages

from .conftest import NS, Images, Stack, push_fresh
from .test_scheduler import scheduled

PIN = {"imagestreams.dev/pinned": "true"}


@pytest.fixture
def pinned_stack(dynamodb: DynamoTable) -> Iterator[tuple[Stack, TagMessages]]:
    with atomic_requests():
        yield Stack(dynamodb.store()), TagMessages(dynamodb)


def test_a_scheduled_import_holds_a_new_digest_off_a_pinned_tag(
        pinned_stack: tuple[Stack, TagMessages], images: Images, layout: OciLayout) -> None:
    stack, messages = pinned_stack
    registry = images.plain
    first = push_fresh(registry, layout, "pins/app:1")
    source = f"{registry.host}/pins/app:1"
    repository = source.rsplit(":", 1)[0]
    stack.create("app", {**scheduled("1", source), "annotations": PIN},
                 {"name": "follower", "from": {"kind": "ImageStreamTag", "name": "app:1"}})
    assert stack.head("app", "1")[1] == first.digest
    messages.new()
    second = push_fresh(registry, layout, "pins/app:1")
    report = stack.cycle()
    assert report.written == 1
    assert [e.image for e in stack.status("app", "1").items] == [first.digest]  # unmoved
    assert stack.head("app", "follower")[1] == first.digest
    assert stack.store.get_image(second.digest) is not None  # recorded
    [condition] = stack.status("app", "1").conditions
    assert (condition.type, condition.status, condition.reason) == (
        "NewerImageWaiting", "True", "Pinned")
    assert f"{second.digest} ({repository}@{second.digest})" in condition.message
    [held] = messages.new()
    assert (held["type"], held["tag"], held["image"], held["held"]) == (
        "Held", "1", first.digest, {"image": second.digest,
                                    "dockerImageReference": f"{repository}@{second.digest}"})
    assert stack.store.get_tag(NS, "app", "1").due is not None  # still checked each interval

    stack.cycle()  # the registry unchanged: the same image waits, nothing new is said
    assert messages.new() == []
    assert stack.head("app", "1")[1] == first.digest

    body = ImageStreamTag.model_validate({"metadata": {"name": "app:1", "annotations": {}}})
    stack.tags.put(SERVICE, NS, "app:1", body, create_only=False)  # unpinned: moves at once
    assert stack.head("app", "1")[1] == second.digest
    assert stack.head("app", "follower")[1] == second.digest
    assert [m["type"] for m in messages.new()] == ["Updated", "Updated"]
    assert stack.cycle().requests == 1  # the import digest is the head's again: one HEAD


def test_an_import_image_of_a_pinned_tag_keeps_the_pin_and_holds(memory_stack: Stack,
                                                                 images: Images,
                                                                 layout: OciLayout) -> None:
    """`oc import-image app:1` of the tag's own source is an import like the schedule's."""
    registry = images.plain
    first = push_fresh(registry, layout, "pins/again:1")
    source = f"{registry.host}/pins/again:1"
    memory_stack.create("app", {"name": "1", "from": {"kind": "DockerImage", "name": source},
                                "importPolicy": {"insecure": True}, "annotations": PIN})
    push_fresh(registry, layout, "pins/again:1")
    memory_stack.imports.create(SERVICE, NS, ImageStreamImport.model_validate({
        "metadata": {"name": "app"}, "spec": {"import": True, "images": [{
            "from": {"kind": "DockerImage", "name": source}, "to": {"name": "1"},
            "importPolicy": {"insecure": True}}]}}))
    assert memory_stack.head("app", "1")[1] == first.digest
    [spec] = memory_stack.streams.get(NS, "app").spec.tags
    assert spec.annotations == PIN
    assert [c.reason for c in memory_stack.status("app", "1").conditions] == ["Pinned"]
