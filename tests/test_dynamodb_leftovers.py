"""A stream deleted half-way (a crash between delete_stream's requests) or deleted while
being created again: nothing of the old stream ever shows in the new one."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters.dynamodb_cleanup import finish_all
from chalicelib.domain.errors import Invalid
from chalicelib.resources.stream import ImageStream, ImageStreamMapping, ImageStreamTag
from chalicelib.services.actor import SERVICE
from chalicelib.services.ports import ImageRef
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService
from testbed.dynamodb import DynamoTable, new_client

from .contract.builders import NS, digest


class Services:
    def __init__(self, store: Any) -> None:
        self.store = store
        self.streams = StreamService(store)
        self.istags = StreamTagService(store)

    def create(self, name: str, *tags: dict) -> None:
        self.streams.create(SERVICE, NS, ImageStream.model_validate(
            {"metadata": {"name": name}, "spec": {"tags": list(tags)}}))

    def map(self, stream: str, tag: str, n: int) -> None:
        self.istags.map(SERVICE, NS, ImageStreamMapping.model_validate({
            "metadata": {"name": stream}, "tag": tag,
            "image": {"dockerImageReference": f"registry.test/team/{stream}@{digest(n)}"}}))


def partition(table: DynamoTable, name: str) -> list[str]:
    return sorted(item["SK"]["S"] for item in table.items()
                  if item["PK"]["S"] == f"IS#{NS}/{name}")


def filled(services: Services) -> None:
    services.create("app", {"name": "stable", "from": {"kind": "ImageStreamTag",
                                                       "name": "app:latest"}})
    services.map("app", "latest", 1)


def test_leftovers_of_a_crashed_delete_are_never_read(dynamodb: DynamoTable) -> None:
    services = Services(dynamodb.store())
    filled(services)
    # delete_stream deleted the stream item, then stopped before clearing the partition
    dynamodb.client.delete_item(TableName=dynamodb.name,
                                Key={"PK": {"S": f"IS#{NS}/app"}, "SK": {"S": "#"}})
    assert len(partition(dynamodb, "app")) > 3

    store = services.store
    assert store.get_stream(NS, "app") is None and store.load_stream(NS, "app") is None
    assert store.get_tag(NS, "app", "latest") is None
    assert store.find_images(NS, "app", "sha256:", 2) == []
    # nor through another stream's sources: the stream is not there
    services.create("other")
    copy = ImageStreamTag.model_validate({"tag": {
        "from": {"kind": "ImageStreamTag", "name": "app:latest"}}})
    by_digest = ImageStreamTag.model_validate({"tag": {
        "from": {"kind": "ImageStreamImage", "name": f"app@{digest(1)}"}}})
    for name, body in (("other:copy", copy), ("other:image", by_digest)):
        with pytest.raises(Invalid) as refused:
            services.istags.put(SERVICE, NS, name, body, create_only=False)
        assert [cause.reason for cause in refused.value.causes] == ["FieldValueNotFound"]
    assert services.streams.get(NS, "other").status.tags is None

    # created again, the stream starts afresh and the leftovers are gone
    services.create("app")
    assert partition(dynamodb, "app") == ["#"]
    services.map("app", "latest", 1)
    assert store.find_images(NS, "app", "sha256:", 2) == [
        ImageRef(digest(1), f"registry.test/team/app@{digest(1)}", 1)]
    assert store.get_followers(NS, "app", "latest") == []


def test_a_delete_never_clears_a_stream_created_meanwhile(dynamodb: DynamoTable) -> None:
    services = Services(dynamodb.store())
    filled(services)
    version = services.streams.get(NS, "app").metadata.resource_version
    deleter = new_client()
    created: list[bool] = []

    def create_again(**_: Any) -> None:
        """Before the cleanup's first clearing transaction (its keys are read by now),
        the stream is created again, with items at the same keys as the old ones."""
        if not created:
            created.append(True)
            services.create("app", {"name": "stable", "from": {"kind": "ImageStreamTag",
                                                               "name": "app:latest"}})
            services.map("app", "latest", 2)

    services.store.delete_stream(NS, "app", int(version or 0))
    deleter.meta.events.register("before-call.dynamodb.TransactWriteItems", create_again)
    assert finish_all(deleter, dynamodb.name) == 1

    assert created
    history = services.istags.get(NS, "app:stable")
    assert history.image.metadata.name == digest(2)
    assert [t.tag for t in services.streams.get(NS, "app").status.tags or []] == [
        "latest", "stable"]
    assert services.store.find_images(NS, "app", "sha256:", 5) == [
        ImageRef(digest(2), f"registry.test/team/app@{digest(2)}", 2)]
