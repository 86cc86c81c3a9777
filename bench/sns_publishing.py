"""SNS calls per 100 tag changes: table writes → stream records → handler → SNS (moto),
and the DynamoDB requests of the publish ledger that keeps redelivered records from being
published twice."""
from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws

from chalicelib import wiring
from chalicelib.adapters.dynamodb_publish_ledger import LEDGER_PREFIX, DynamoPublishLedger
from chalicelib.adapters.dynamodb_store import DynamoStore
from chalicelib.adapters.sns_publisher import SnsPublisher
from chalicelib.entrypoints.table_events import handle_table_records
from chalicelib.resources.stream import ImageStream, ImageStreamMapping
from chalicelib.services.actor import SERVICE
from local.stream_reader import StreamReader, lambda_records
from testbed.dynamodb import REGION, create_table

from .report import Section

CHANGES = 100
TABLE = "imagestreams-bench"


def _client(service: str) -> Any:
    return boto3.client(service, region_name=REGION, aws_access_key_id="bench",
                        aws_secret_access_key="bench")


def _measure(batch_size: int) -> dict[str, int]:
    """Make CHANGES tag moves, then deliver the stream in Lambda batches of `batch_size`."""
    with mock_aws():
        dynamodb, sns, sqs = _client("dynamodb"), _client("sns"), _client("sqs")
        create_table(dynamodb, TABLE)
        topic = sns.create_topic(Name="bench")["TopicArn"]
        queue = sqs.create_queue(QueueName="bench")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                      Attributes={"RawMessageDelivery": "true"})
        # The ledger has a client of its own, so its requests can be counted apart.
        ledger_client = _client("dynamodb")
        ledger_requests = {"BatchGetItem": 0, "BatchWriteItem": 0}

        def count(event_name: str, **_: Any) -> None:
            ledger_requests[event_name.rsplit(".", 1)[-1]] += 1

        ledger_client.meta.events.register("before-call.dynamodb.BatchGetItem", count)
        ledger_client.meta.events.register("before-call.dynamodb.BatchWriteItem", count)
        services = wiring.Services(DynamoStore(dynamodb, TABLE),
                                   publish_ledger=DynamoPublishLedger(ledger_client, TABLE))
        publisher = SnsPublisher(sns, topic, backoff=0)
        wiring.use(services)
        wiring.use_publisher(publisher)
        try:
            services.streams.create(SERVICE, "bench", ImageStream.model_validate(
                {"metadata": {"name": "app"}}))
            for index in range(CHANGES):
                digest = f"sha256:{index:064x}"
                services.tags.map(SERVICE, "bench", ImageStreamMapping.model_validate({
                    "metadata": {"name": "app"}, "tag": f"t{index % 10}",
                    "image": {"metadata": {"name": digest},
                              "dockerImageReference": f"registry.test/bench/app@{digest}"}}))
            reader = StreamReader(dynamodb, _client("dynamodbstreams"), TABLE)
            records = 0
            while True:
                # The deployed event source's filter drops the ledger's own records (and
                # those of other items but tags); dropping only the ledger's keeps the other
                # columns comparable with runs from before the ledger.
                batch = [record for record in reader.read(limit=batch_size)
                         if not record["dynamodb"]["Keys"]["PK"]["S"].startswith(LEDGER_PREFIX)]
                if not batch:
                    break
                records += len(batch)
                handle_table_records(lambda_records(batch, "arn:bench", REGION))
            delivered = int(sqs.get_queue_attributes(
                QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"]["ApproximateNumberOfMessages"])
        finally:
            wiring.use(None)
            wiring.use_publisher(None)
    return {"records": records, "calls": publisher.calls, "delivered": delivered,
            "ledger_reads": ledger_requests["BatchGetItem"],
            "ledger_writes": ledger_requests["BatchWriteItem"]}


def run() -> Section:
    rows = []
    for batch_size in (100, 1000):
        result = _measure(batch_size)
        per_hundred = result["calls"] * 100 / CHANGES
        ledger = (result["ledger_reads"] + result["ledger_writes"]) * 100 / CHANGES
        rows.append(f"| {batch_size} | {CHANGES} | {result['records']} | {result['calls']} | "
                    f"{per_hundred:g} | {result['ledger_reads']} + {result['ledger_writes']} | "
                    f"{ledger:g} | {result['delivered']} |")
    body = "\n".join([
        f"{CHANGES} tag moves (ImageStreamMappings of new images over 10 tags of one stream) "
        "on moto DynamoDB with its stream; the stream records are read through the Streams "
        "API and handed to the `publish_tag_changes` handler in batches of the event source's "
        "size; SNS (moto) delivers to one SQS queue. Target: at most 10 PublishBatch calls per "
        "100 changes. The deployed event source uses batches of 1,000 gathered over up to "
        "5 seconds (infra/functions.json). Publishing each move once costs DynamoDB requests "
        "on the publish ledger: one BatchGetItem (up to 100 eventIds) per handler call with "
        "messages, and one BatchWriteItem per 25 messages published. "
        "`bench/sns_publishing.py` is the benchmark.",
        "",
        "| records per handler call | tag changes | stream records | PublishBatch calls | "
        "calls per 100 changes | ledger requests (BatchGetItem + BatchWriteItem) | "
        "ledger requests per 100 changes | messages delivered |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
    ])
    return Section("SNS calls per tag change", body)
