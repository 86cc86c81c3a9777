"""The emulator's SNS delivers per subscription, as SNS does (local/moto_sns.py).

Once a subscribed queue was deleted, moto 5.2 stopped delivering each message at that
subscription (those after it got nothing), Publish failed, and PublishBatch answered the
entry in neither Successful nor Failed. Checked in process (moto_sns.patched) and through
the emulator's own server, as `make run` starts it.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local import emulator, moto_sns
from local.processes import stop
from local.settings import Settings
from local.stack import AWS_VARIABLES
from testbed.registry import free_port

REGION = "us-east-1"


class Topic:
    """A topic and queues subscribed to it in order, raw delivery, as triggers subscribe."""

    def __init__(self, sns: Any, sqs: Any, name: str):
        self.sns, self.sqs = sns, sqs
        self.arn = sns.create_topic(Name=name)["TopicArn"]
        self.queues: dict[str, str] = {}

    def subscribe(self, name: str) -> None:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.arn, Protocol="sqs", Endpoint=arn,
                           Attributes={"RawMessageDelivery": "true"})
        self.queues[name] = url

    def delete_queue(self, name: str) -> None:
        self.sqs.delete_queue(QueueUrl=self.queues.pop(name))

    def received(self, name: str) -> list[str]:
        bodies: list[str] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queues[name],
                                             MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return sorted(bodies)
            for message in batch:
                bodies.append(message["Body"])
                self.sqs.delete_message(QueueUrl=self.queues[name],
                                        ReceiptHandle=message["ReceiptHandle"])

    def publish_batch(self, count: int) -> dict[str, Any]:
        return self.sns.publish_batch(TopicArn=self.arn, PublishBatchRequestEntries=[
            {"Id": str(n), "Message": json.dumps({"n": n})} for n in range(count)])


def messages(count: int) -> list[str]:
    return sorted(json.dumps({"n": n}) for n in range(count))


def clients(**endpoint: Any) -> tuple[Any, Any]:
    return tuple(boto3.client(service, region_name=REGION, aws_access_key_id="testing",
                              aws_secret_access_key="testing", **endpoint)
                 for service in ("sns", "sqs"))  # type: ignore[return-value]


@pytest.fixture
def in_process() -> Iterator[Topic]:
    with mock_aws(), moto_sns.patched():
        yield Topic(*clients(), "events")


def test_a_deleted_queue_loses_only_its_own_messages(in_process: Topic) -> None:
    for name in ("first", "dead", "last"):
        in_process.subscribe(name)
    in_process.delete_queue("dead")
    reply = in_process.publish_batch(10)
    assert sorted(int(s["Id"]) for s in reply["Successful"]) == list(range(10))
    assert reply["Failed"] == []
    in_process.sns.publish(TopicArn=in_process.arn, Message=json.dumps({"n": 10}))
    assert in_process.received("first") == in_process.received("last") == messages(11)


def test_every_subscription_is_delivered_to_not_the_first_hundred(in_process: Topic) -> None:
    for n in range(120):
        in_process.subscribe(f"q{n:03d}")
    in_process.publish_batch(1)
    assert all(in_process.received(name) == messages(1) for name in in_process.queues)


def test_a_batch_entry_that_fails_is_answered_as_failed(in_process: Topic) -> None:
    in_process.subscribe("q")
    reply = in_process.sns.publish_batch(TopicArn=in_process.arn, PublishBatchRequestEntries=[
        {"Id": "ok", "Message": "fine"},
        {"Id": "long", "Message": "x" * (256 * 1024 + 1)}])
    assert [s["Id"] for s in reply["Successful"]] == ["ok"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in reply["Failed"]] == [
        ("long", "InvalidParameter", True)]


def test_moto_itself_still_drops_them() -> None:
    """What the patch is for: if this fails, moto delivers per subscription itself and
    local/moto_sns.py can go."""
    with mock_aws():  # moto as it is, without moto_sns
        topic = Topic(*clients(), "events")
        for name in ("first", "dead", "last"):
            topic.subscribe(name)
        topic.delete_queue("dead")
        reply = topic.publish_batch(3)
        assert reply.get("Successful", []) == [] and reply.get("Failed", []) == []
        assert topic.received("first") == messages(3) and topic.received("last") == []


@pytest.fixture(scope="module")
def emulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topic]:
    """The emulator's server as `make run` starts it."""
    state = tmp_path_factory.mktemp("moto-sns")
    (state / "logs").mkdir()
    settings = Settings(aws_port=free_port(), state_dir=state)
    child = emulator.start_emulator(
        settings, {k: v for k, v in os.environ.items() if k not in AWS_VARIABLES})
    try:
        yield Topic(emulator.client(settings, "sns"), emulator.client(settings, "sqs"),
                    "events")
    finally:
        stop(child)


def test_the_emulator_delivers_past_a_deleted_queue(emulated: Topic) -> None:
    for name in ("first", "dead", "last"):
        emulated.subscribe(name)
    emulated.delete_queue("dead")
    reply = emulated.publish_batch(10)
    assert sorted(int(s["Id"]) for s in reply["Successful"]) == list(range(10))
    assert reply.get("Failed", []) == []
    assert emulated.received("first") == emulated.received("last") == messages(10)
