"""moto AWS for the trigger and watch tests: the table, its stream, an SNS topic and SQS
queues."""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib import wiring
from chalicelib.adapters.dynamodb_change_log import DynamoChangeLog
from chalicelib.adapters.dynamodb_publish_ledger import DynamoPublishLedger
from chalicelib.adapters.dynamodb_store import DynamoStore
from chalicelib.adapters.dynamodb_triggers import DynamoTriggerStore
from chalicelib.adapters.sns_publisher import SnsPublisher
from chalicelib.adapters.sns_subscriptions import SnsSubscriptions
from chalicelib.entrypoints.table_events import handle_table_records
from local.stream_reader import StreamReader, lambda_records
from testbed.dynamodb import REGION, create_table

TABLE = "imagestreams-triggers"


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@dataclass
class Cloud:
    dynamodb: Any
    sns: Any
    sqs: Any
    topic_arn: str
    reader: StreamReader
    services: wiring.Services
    publisher: SnsPublisher
    queues: dict[str, str] = field(default_factory=dict)

    def queue(self, name: str) -> str:
        """A queue's ARN; the queue is created on first use."""
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        self.queues[name] = url
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]

    def pump(self) -> list[dict[str, Any]]:
        """Feed every new stream record to the Lambda handler, as the event source would;
        the handler must publish them all."""
        records = lambda_records(self.reader.read(limit=1000), "arn:stream", REGION)
        if records:
            assert handle_table_records(records) == {"batchItemFailures": []}
        return records

    def received(self, name: str) -> list[dict[str, Any]]:
        messages = []
        while True:
            reply = self.sqs.receive_message(QueueUrl=self.queues[name], MaxNumberOfMessages=10)
            batch = reply.get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                messages.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queues[name],
                                        ReceiptHandle=message["ReceiptHandle"])


@contextmanager
def moto_cloud() -> Iterator[Cloud]:
    """moto's DynamoDB (the table, its stream, the publish ledger), SNS and SQS, wired into
    the app's services and publisher for the duration of the block."""
    with mock_aws():
        dynamodb = client("dynamodb")
        create_table(dynamodb, TABLE)
        sns, sqs = client("sns"), client("sqs")
        topic = sns.create_topic(Name="imagestreams-events")["TopicArn"]
        services = wiring.Services(DynamoStore(dynamodb, TABLE), "",
                                   lambda: DynamoTriggerStore(dynamodb, TABLE),
                                   lambda: SnsSubscriptions(sns, topic),
                                   publish_ledger=DynamoPublishLedger(dynamodb, TABLE),
                                   change_log=DynamoChangeLog(dynamodb, TABLE))
        publisher = SnsPublisher(sns, topic, backoff=0)
        wiring.use(services)
        wiring.use_publisher(publisher)
        try:
            yield Cloud(dynamodb, sns, sqs, topic,
                        StreamReader(dynamodb, client("dynamodbstreams"), TABLE), services,
                        publisher)
        finally:
            wiring.use(None)
            wiring.use_publisher(None)


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    with moto_cloud() as cloud:
        yield cloud
