"""Table writes → stream records → handler → SNS → SQS queues with filter policies."""
from __future__ import annotations

from typing import Any

from chalicelib import wiring
from chalicelib.adapters.sns_publisher import SnsPublisher
from chalicelib.entrypoints.table_events import handle_table_records
from chalicelib.resources.stream import ImageStream, ImageStreamMapping, ImageStreamTag
from chalicelib.resources.triggers import ImageStreamTrigger
from chalicelib.services.actor import SERVICE
from local.stream_reader import lambda_records

NS = "shop"


def digest(char: str) -> str:
    return "sha256:" + char * 64


def push(cloud, stream: str, tag: str, char: str, namespace: str = NS) -> None:
    cloud.services.tags.map(SERVICE, namespace, ImageStreamMapping.model_validate({
        "metadata": {"name": stream}, "tag": tag,
        "image": {"metadata": {"name": digest(char)},
                  "dockerImageReference": f"registry.test/{namespace}/{stream}@{digest(char)}"}}))


def subscribe(cloud, queue: str, stream: str, namespace: str = NS, **spec: Any) -> None:
    body = ImageStreamTrigger.model_validate({
        "metadata": {"name": queue},
        "spec": {"endpoint": {"protocol": "sqs", "endpoint": cloud.queue(queue)}, **spec}})
    cloud.services.triggers.create(namespace, stream, body)


def create_stream(cloud, name: str, namespace: str = NS) -> None:
    cloud.services.streams.create(SERVICE, namespace, ImageStream.model_validate(
        {"metadata": {"name": name}}))


def summary(messages: list[dict]) -> list[tuple]:
    return [(m["type"], m["imageStream"], m["tag"], m["image"]) for m in messages]


def test_each_kind_of_change_arrives_once_at_the_matching_queues(cloud):
    create_stream(cloud, "web")
    create_stream(cloud, "db")
    subscribe(cloud, "all-web", "web")
    subscribe(cloud, "web-latest", "web", tags=["latest"])
    subscribe(cloud, "db-all", "db")
    cloud.pump()

    push(cloud, "web", "latest", "a")
    push(cloud, "web", "latest", "b")
    push(cloud, "web", "v1", "a")
    cloud.services.tags.delete(SERVICE, NS, "web:latest")
    cloud.pump()

    everything = cloud.received("all-web")
    assert summary(everything) == [
        ("Created", "web", "latest", digest("a")),
        ("Updated", "web", "latest", digest("b")),
        ("Created", "web", "v1", digest("a")),
        ("Deleted", "web", "latest", ""),
    ]
    updated = everything[1]
    assert updated["previous"] == {"image": digest("a"),
                                   "dockerImageReference": f"registry.test/{NS}/web@{digest('a')}"}
    assert updated["apiVersion"] == "image.openshift.io/v1"
    assert updated["kind"] == "ImageStreamTagEvent" and updated["namespace"] == NS
    assert everything[0]["previous"] is None
    assert everything[3]["previous"]["image"] == digest("b")
    assert len({m["eventId"] for m in everything}) == 4
    assert [m["tag"] for m in cloud.received("web-latest")] == ["latest"] * 3
    assert cloud.received("db-all") == []


def test_writes_that_do_not_move_a_head_publish_nothing(cloud):
    create_stream(cloud, "web")
    subscribe(cloud, "q", "web")
    push(cloud, "web", "v1", "a")
    cloud.pump()
    assert len(cloud.received("q")) == 1

    push(cloud, "web", "v1", "a")  # the same image again: no history change
    stream = cloud.services.streams.get(NS, "web")
    stream.metadata.labels = {"team": "x"}
    cloud.services.streams.replace(SERVICE, NS, "web", stream)  # labels only
    cloud.services.tags.put(SERVICE, NS, "web:later", ImageStreamTag.model_validate(
        {"tag": {"from": {"kind": "DockerImage", "name": "registry.test/x/y:1"}}}), False)
    cloud.pump()
    assert cloud.received("q") == []


def test_tracking_tags_publish_their_own_moves(cloud):
    create_stream(cloud, "web")
    subscribe(cloud, "q", "web")
    push(cloud, "web", "v1", "a")
    cloud.services.tags.put(SERVICE, NS, "web:latest", ImageStreamTag.model_validate(
        {"tag": {"from": {"kind": "ImageStreamTag", "name": "web:v1"}}}), False)
    push(cloud, "web", "v1", "b")
    cloud.pump()
    assert summary(cloud.received("q")) == [
        ("Created", "web", "v1", digest("a")),
        ("Created", "web", "latest", digest("a")),
        ("Updated", "web", "latest", digest("b")),
        ("Updated", "web", "v1", digest("b")),
    ]


def test_types_filter_and_namespace_isolation(cloud):
    create_stream(cloud, "web")
    create_stream(cloud, "web", namespace="other")
    subscribe(cloud, "created-only", "web", types=["Created"])
    push(cloud, "web", "v1", "a")
    push(cloud, "web", "v1", "b")
    push(cloud, "web", "v1", "c", namespace="other")
    cloud.pump()
    assert summary(cloud.received("created-only")) == [("Created", "web", "v1", digest("a"))]


class FlakySns:
    """The SNS client with PublishBatch failing entries: SNS faults are not reproducible with
    moto, so this wraps the moto client at the AWS boundary. `passes[i]` is how many entries
    call i lets through; calls past the list let everything through."""

    def __init__(self, real: Any, passes: list[int]):
        self.real = real
        self.passes = list(passes)

    def publish_batch(self, **kwargs: Any) -> dict:
        entries = kwargs["PublishBatchRequestEntries"]
        allowed = self.passes.pop(0) if self.passes else len(entries)
        sent = {"Successful": []}
        if allowed:
            sent = self.real.publish_batch(**{**kwargs,
                                              "PublishBatchRequestEntries": entries[:allowed]})
        return {"Successful": sent["Successful"],
                "Failed": [{"Id": e["Id"], "Code": "InternalError", "SenderFault": False,
                            "Message": "injected"} for e in entries[allowed:]]}


def test_failed_entries_are_retried_within_the_call(cloud):
    create_stream(cloud, "web")
    subscribe(cloud, "q", "web")
    cloud.publisher.client = FlakySns(cloud.sns, passes=[1, 0])
    push(cloud, "web", "a1", "a")
    push(cloud, "web", "b1", "b")
    push(cloud, "web", "c1", "c")
    cloud.pump()
    assert sorted(m["tag"] for m in cloud.received("q")) == ["a1", "b1", "c1"]


def test_a_batch_that_keeps_failing_is_redelivered_without_repeats(cloud):
    create_stream(cloud, "web")
    subscribe(cloud, "q", "web")
    cloud.pump()
    push(cloud, "web", "a1", "a")
    push(cloud, "web", "b1", "b")
    shaped = lambda_records(cloud.reader.read(), "arn:stream", "us-east-1")
    cloud.publisher.client = FlakySns(cloud.sns, passes=[1, 0, 0])
    failures = handle_table_records(shaped)["batchItemFailures"]
    first = cloud.received("q")
    assert [m["tag"] for m in first] == ["a1"]
    b1_record = next(r for r in shaped if r["dynamodb"]["Keys"]["SK"]["S"] == "T#b1"
                     and r["eventName"] == "INSERT")
    assert failures == [{"itemIdentifier": b1_record["dynamodb"]["SequenceNumber"]}]
    cloud.publisher.client = cloud.sns  # the event source delivers the same batch again
    assert handle_table_records(shaped) == {"batchItemFailures": []}
    second = cloud.received("q")
    assert [m["tag"] for m in second] == ["b1"]
    assert first[0]["eventId"] != second[0]["eventId"]


def test_changes_are_published_ten_to_a_call(cloud):
    create_stream(cloud, "web")
    subscribe(cloud, "q", "web")
    cloud.pump()
    for index in range(30):
        push(cloud, "web", f"t{index}", "a")
    calls_before = cloud.publisher.calls
    while cloud.pump():
        pass
    assert cloud.publisher.calls - calls_before == 3
    assert len(cloud.received("q")) == 30


def test_fifo_topic_messages_carry_group_and_dedup_ids(cloud):
    topic = cloud.sns.create_topic(Name="events.fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "false"})["TopicArn"]
    captured = []

    class Capture:
        def publish_batch(self, **kwargs):
            captured.extend(kwargs["PublishBatchRequestEntries"])
            return cloud.sns.publish_batch(**kwargs)

    wiring.use_publisher(SnsPublisher(Capture(), topic, fifo=True))
    create_stream(cloud, "web")
    push(cloud, "web", "v1", "a")
    cloud.pump()
    assert len(captured) == 1
    assert captured[0]["MessageGroupId"] == f"{NS}/web:v1"
    assert captured[0]["MessageDeduplicationId"]


def test_each_message_carries_its_place_in_the_table_stream(cloud):
    """`sequence` is the stream record's sequence number: it orders a tag's moves where
    `time` (whole seconds) cannot."""
    create_stream(cloud, "web")
    subscribe(cloud, "q", "web")
    push(cloud, "web", "latest", "a")
    push(cloud, "web", "latest", "b")
    cloud.services.tags.delete(SERVICE, NS, "web:latest")
    records = cloud.pump()
    messages = cloud.received("q")
    numbers = [int(m["sequence"]) for m in messages]
    assert [m["type"] for m in messages] == ["Created", "Updated", "Deleted"]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    by_event = {r["eventID"]: r["dynamodb"]["SequenceNumber"] for r in records}
    assert all(by_event[m["eventId"]] == m["sequence"] for m in messages)
