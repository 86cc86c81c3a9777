"""The publisher counts a message as sent only when PublishBatch names it Successful.

An entry in neither Successful nor Failed (moto dropped those once a subscribed queue was
deleted) was counted as sent, and the ledger then kept it from ever being sent again.
"""
from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.sns_publisher import ATTEMPTS, SnsPublisher
from chalicelib.resources.events import ImageStreamTagEvent
from chalicelib.services.notifications import PublishFailed
from local import moto_sns

REGION = "us-east-1"


def event(number: int) -> ImageStreamTagEvent:
    return ImageStreamTagEvent(type="Created", namespace="shop", image_stream="web",
                               tag=f"v{number}", image="sha256:" + "a" * 64,
                               docker_image_reference="registry.test/shop/web@sha256:" + "a" * 64,
                               previous=None, generation=1, time="2024-01-01T00:00:00Z",
                               event_id=f"event-{number}")


class Answering:
    """A PublishBatch that answers each call with the lists `answer(ids)` gives."""

    def __init__(self, answer: Any):
        self.answer = answer
        self.calls: list[list[str]] = []

    def publish_batch(self, TopicArn: str, PublishBatchRequestEntries: list[dict]) -> dict:
        ids = [entry["Id"] for entry in PublishBatchRequestEntries]
        self.calls.append(ids)
        return self.answer(ids, len(self.calls))


def test_an_entry_missing_from_both_lists_is_retried_then_failed() -> None:
    # "3" is never answered; every other entry is Successful.
    client = Answering(lambda ids, _: {"Successful": [{"Id": i, "MessageId": f"m{i}"}
                                                      for i in ids if i != "3"], "Failed": []})
    publisher = SnsPublisher(client, "arn:topic", backoff=0)
    with pytest.raises(PublishFailed) as failed:
        publisher.publish([event(n) for n in range(5)])
    assert failed.value.sent == {"event-0", "event-1", "event-2", "event-4"}
    assert client.calls == [["0", "1", "2", "3", "4"]] + [["3"]] * (ATTEMPTS - 1)


def test_an_entry_missing_once_and_answered_on_the_retry_is_sent() -> None:
    def answer(ids: list[str], call: int) -> dict:
        answered = [i for i in ids if call > 1 or i != "1"]
        return {"Successful": [{"Id": i, "MessageId": f"m{i}"} for i in answered]}

    client = Answering(answer)
    SnsPublisher(client, "arn:topic", backoff=0).publish([event(n) for n in range(3)])
    assert client.calls == [["0", "1", "2"], ["1"]]


def test_an_empty_answer_counts_nothing_as_sent() -> None:
    client = Answering(lambda ids, _: {})
    with pytest.raises(PublishFailed) as failed:
        SnsPublisher(client, "arn:topic", backoff=0).publish([event(0), event(1)])
    assert failed.value.sent == frozenset()


def test_failed_and_successful_entries_are_still_told_apart() -> None:
    client = Answering(lambda ids, _: {
        "Successful": [{"Id": "0", "MessageId": "m0"}],
        "Failed": [{"Id": i, "Code": "InternalError", "SenderFault": False}
                   for i in ids if i != "0"]})
    with pytest.raises(PublishFailed) as failed:
        SnsPublisher(client, "arn:topic", backoff=0).publish([event(0), event(1)])
    assert failed.value.sent == {"event-0"}


def deleted_queue_topic() -> tuple[Any, str]:
    """moto's SNS with two queues subscribed, the first of them deleted."""
    sns, sqs = (boto3.client(s, region_name=REGION, aws_access_key_id="testing",
                             aws_secret_access_key="testing") for s in ("sns", "sqs"))
    topic = sns.create_topic(Name="events")["TopicArn"]
    for name in ("dead", "alive"):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        if name == "dead":
            sqs.delete_queue(QueueUrl=url)
    return sns, topic


def test_on_moto_as_it_is_a_dropped_batch_is_not_counted_as_sent() -> None:
    with mock_aws():
        sns, topic = deleted_queue_topic()
        with pytest.raises(PublishFailed) as failed:
            SnsPublisher(sns, topic, backoff=0).publish([event(0), event(1)])
        assert failed.value.sent == frozenset()


def test_on_the_emulators_sns_the_live_queue_gets_every_message() -> None:
    with mock_aws(), moto_sns.patched():
        sns, topic = deleted_queue_topic()
        SnsPublisher(sns, topic, backoff=0).publish([event(n) for n in range(12)])
