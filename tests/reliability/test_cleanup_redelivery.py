"""Cleanup-mark records delivered twice, late, out of order or after their mark is gone, on
moto DynamoDB with its stream, through the table-stream handler: nothing is deleted twice,
each deleted event's image count comes off once, and a tag or stream made again meanwhile
keeps what it has.

Steps are made small (one transaction of two events or two items) so that a short history
takes several steps and there are records of several passes of a mark to deliver again.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from chalicelib.adapters import dynamodb_cleanup
from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.table_stream import cleanup_mark
from chalicelib.domain.records import TagRecord
from chalicelib.entrypoints.table_events import handle_table_records
from chalicelib.resources.stream import ImageStream, ImageStreamMapping
from chalicelib.services.actor import SERVICE
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService
from local.stream_reader import lambda_records
from testbed.dynamodb import REGION
from tests.contract.builders import NS, digest
from tests.triggers.conftest import TABLE, Cloud

PK = items.stream_pk(NS, "app")
Record = dict[str, Any]


@pytest.fixture(autouse=True)
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dynamodb_cleanup, "STEP_TRANSACTIONS", 1)
    monkeypatch.setattr(dynamodb_cleanup, "HISTORY_BATCH", 2)
    monkeypatch.setattr(dynamodb_cleanup, "CLEAR_BATCH", 2)


class Consumer:
    """The table stream read by the test and handed to the handler as the test chooses;
    the keys the handler's requests deleted, counted while it runs."""

    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.deleted: Counter[tuple[str, str]] = Counter()
        self.marks: list[Record] = []  # every mark record read, in stream order
        self._delivering = 0  # deliveries in progress: one may run inside another
        events = cloud.dynamodb.meta.events
        for operation in ("TransactWriteItems", "DeleteItem"):
            events.register(f"before-parameter-build.dynamodb.{operation}", self._before)
            events.register(f"after-call.dynamodb.{operation}", self._after)

    def _before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        keys = ([params["Key"]] if "Key" in params else
                [action["Delete"]["Key"] for action in params.get("TransactItems", [])
                 if "Delete" in action])
        context["deleting"] = [(key["PK"]["S"], key["SK"]["S"]) for key in keys]

    def _after(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        deleting = context.pop("deleting", [])
        if self._delivering and http_response.status_code == 200:
            self.deleted.update(deleting)

    def read(self) -> list[Record]:
        records = lambda_records(self.cloud.reader.read(limit=1000), "arn:stream", REGION)
        self.marks += [record for record in records if cleanup_mark(record) is not None]
        return records

    def deliver(self, records: list[Record]) -> None:
        self._delivering += 1
        try:
            assert handle_table_records(records) == {"batchItemFailures": []}
        finally:
            self._delivering -= 1

    def step(self) -> list[Record]:
        """Deliver what is new once; the records delivered."""
        records = self.read()
        if records:
            self.deliver(records)
        return records

    def to_the_end(self, twice: bool = False) -> None:
        """Deliver every new record (each batch twice with `twice`) until none is new."""
        while records := self.read():
            self.deliver(records)
            if twice:
                self.deliver(records)

    def deleted_twice(self) -> list[tuple[str, str]]:
        return [key for key, count in self.deleted.items() if count > 1]


@pytest.fixture
def consumer(cloud: Cloud) -> Consumer:
    return Consumer(cloud)


class Api:
    def __init__(self, cloud: Cloud) -> None:
        self.client = cloud.dynamodb
        self.store = cloud.services.store
        self.streams = StreamService(self.store)
        self.istags = StreamTagService(self.store)

    def create(self) -> None:
        self.streams.create(SERVICE, NS, ImageStream.model_validate({"metadata": {"name": "app"}}))

    def map(self, tag: str, *images: int) -> None:
        for n in images:
            self.istags.map(SERVICE, NS, ImageStreamMapping.model_validate({
                "metadata": {"name": "app"}, "tag": tag,
                "image": {"dockerImageReference": f"registry.test/team/app@{digest(n)}"}}))

    def tag(self, name: str) -> TagRecord:
        found = self.store.get_tag(NS, "app", name)
        assert found is not None
        return found

    def history(self, tag: TagRecord) -> list[str]:
        return [event.image for event in self.store.history_page(NS, "app", tag, 100, None).events]

    def counts(self) -> dict[str, int]:
        """The stream's image index: each entry's count, zeros included."""
        found = self.client.query(  # every entry, zero counts too: find_images drops them
            TableName=TABLE, ConsistentRead=True,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={":pk": {"S": PK}, ":prefix": {"S": items.INDEX_PREFIX}})
        return {item["SK"]["S"][len(items.INDEX_PREFIX):]: int(item["count"]["N"])
                for item in found["Items"]}

    def marks_left(self) -> list[str]:
        found = self.client.query(
            TableName=TABLE, ConsistentRead=True,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": items.cleanup_pk(PK)}})
        return [item["SK"]["S"] for item in found["Items"]]

    def partition(self) -> list[str]:
        found = self.client.query(
            TableName=TABLE, ConsistentRead=True,
            KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": PK}})
        return sorted(item["SK"]["S"] for item in found["Items"])


def counts_of(**by_image: int) -> dict[str, int]:
    return {digest(int(n[1:])): count for n, count in by_image.items()}


def test_a_tag_cleanup_redelivered_twice_late_and_after_its_end_takes_each_count_off_once(
        cloud: Cloud, consumer: Consumer) -> None:
    api = Api(cloud)
    api.create()
    api.map("latest", 1, 2, 3, 4, 5)
    api.map("keep", 1, 2, 3)  # the same images: their entries must keep keep's counts
    deleted = api.tag("latest")
    consumer.to_the_end()
    assert api.counts() == counts_of(d1=2, d2=2, d3=2, d4=1, d5=1)

    api.istags.delete(SERVICE, NS, "app:latest")
    consumer.to_the_end(twice=True)  # every batch, the marks' records too, twice
    passes = consumer.marks
    assert len(passes) > 3  # the mark's insert and several passes' rewrites
    # every record of the mark again, the newest first: older passes after newer ones,
    # all of them after the mark was deleted
    consumer.deliver(list(reversed(passes)))
    consumer.deliver(passes)

    assert consumer.deleted_twice() == []
    assert sorted(sk for pk, sk in consumer.deleted if pk == PK) == [
        items.history_sk("latest", deleted.incarnation, seq) for seq in range(1, 6)]
    assert api.counts() == counts_of(d1=1, d2=1, d3=1, d4=0, d5=0)
    assert api.history(deleted) == []
    assert api.history(api.tag("keep")) == [digest(3), digest(2), digest(1)]
    assert api.marks_left() == []


def test_a_tag_made_again_and_deleted_again_keeps_each_life_apart(
        cloud: Cloud, consumer: Consumer) -> None:
    api = Api(cloud)
    api.create()
    api.map("latest", 1, 2, 3, 4, 5)
    api.map("keep", 1)
    consumer.to_the_end()

    api.istags.delete(SERVICE, NS, "app:latest")
    consumer.step()  # the first life's cleanup has begun, one step of three
    first_life = list(consumer.marks)
    api.map("latest", 4, 5, 6)  # a new life, sharing images 4 and 5 with the first
    again = api.tag("latest")
    consumer.to_the_end()
    for _ in range(2):
        consumer.deliver(list(reversed(consumer.marks)))

    assert api.history(again) == [digest(6), digest(5), digest(4)]
    assert api.counts() == counts_of(d1=1, d2=0, d3=0, d4=1, d5=1, d6=1)
    assert consumer.deleted_twice() == []

    # the second life deleted too: its mark is another key, and each life's records,
    # old and new, in any order, take each life's counts off once
    api.istags.delete(SERVICE, NS, "app:latest")
    consumer.step()
    consumer.deliver(first_life + list(reversed(consumer.marks)))
    consumer.to_the_end(twice=True)
    consumer.deliver(consumer.marks)

    assert consumer.deleted_twice() == []
    assert api.counts() == counts_of(d1=1, d2=0, d3=0, d4=0, d5=0, d6=0)
    assert api.history(again) == []
    assert api.history(api.tag("keep")) == [digest(1)]
    assert api.marks_left() == []


def test_a_stream_mark_rewritten_by_a_later_life_s_delete_clears_each_life_once(
        cloud: Cloud, consumer: Consumer) -> None:
    api = Api(cloud)
    api.create()
    api.map("latest", 1, 2, 3)
    consumer.to_the_end()
    api.streams.delete(NS, "app")
    consumer.step()  # one step of the first life's clearing
    first_life = list(consumer.marks)

    # made again (which clears what the first life left) and deleted again: the stream's
    # mark is the same key, rewritten for this life
    api.create()
    api.map("next", 11, 12, 13)
    api.streams.delete(NS, "app")
    consumer.deliver(first_life)  # the first life's records, late: the new mark's step
    consumer.to_the_end(twice=True)
    consumer.deliver(first_life + consumer.marks)

    assert consumer.deleted_twice() == []
    assert api.partition() == []
    assert api.marks_left() == []

    # a third life: no record of the earlier lives' marks touches it
    api.create()
    api.map("latest", 1, 2)
    consumer.to_the_end()
    third = api.tag("latest")
    consumer.deliver(first_life + consumer.marks)
    assert api.history(third) == [digest(2), digest(1)]
    assert api.counts() == counts_of(d1=1, d2=1)
    assert "T#latest" in api.partition()


def test_a_record_delivered_again_while_its_step_runs_takes_each_count_off_once(
        cloud: Cloud, consumer: Consumer) -> None:
    """A second invocation with the same record runs its step between the first's reads
    and its transaction (as two batches with the record, in flight at once, can)."""
    api = Api(cloud)
    api.create()
    api.map("latest", 1, 2, 3, 4)
    api.map("keep", 1, 2)
    consumer.to_the_end()
    deleted = api.tag("latest")
    api.istags.delete(SERVICE, NS, "app:latest")
    records = consumer.read()
    marks = [record for record in records if cleanup_mark(record) is not None]
    overtaken: list[bool] = []

    def overtake(params: dict[str, Any], **_: Any) -> None:
        if not overtaken and any("Delete" in action for action in params["TransactItems"]):
            overtaken.append(True)
            consumer.deliver(marks)

    hook = "before-parameter-build.dynamodb.TransactWriteItems"
    cloud.dynamodb.meta.events.register(hook, overtake)
    consumer.deliver(records)
    cloud.dynamodb.meta.events.unregister(hook, overtake)
    consumer.to_the_end(twice=True)

    assert overtaken
    assert consumer.deleted_twice() == []
    assert api.counts() == counts_of(d1=1, d2=1, d3=0, d4=0)
    assert api.history(deleted) == [] and api.marks_left() == []
