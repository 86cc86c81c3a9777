"""Table-stream records delivered again → still one SNS message per tag move.

Lambda delivers a stream batch at least once: it retries from the record a partial batch
response names, and may run a batch twice. The handler is the Lambda's own (app.py, through
Chalice's event wrapper); the table, its stream, the ledger, SNS and SQS are moto's.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import Stubber

import app as app_module
from chalicelib.adapters.dynamodb_publish_ledger import (
    EXPIRES_AT,
    KEEP_SECONDS,
    DynamoPublishLedger,
    ledger_key,
)
from chalicelib.adapters.memory_publish_ledger import MemoryPublishLedger
from chalicelib.adapters.table_stream import tag_write
from chalicelib.domain.errors import ServiceUnavailable
from chalicelib.services.notifications import publish_tag_changes
from local.pump import StreamPump
from local.stream_reader import lambda_records
from testbed.dynamodb import REGION, new_client, table_properties
from tests.triggers.conftest import TABLE, Cloud
from tests.triggers.test_publisher import FlakySns, create_stream, push

from .conftest import QUEUE

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/1"


def moved(cloud: Cloud, moves: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Make the (tag, image char) moves on stream web; the stream records they wrote."""
    create_stream(cloud, "web")
    for tag, char in moves:
        push(cloud, "web", tag, char)
    return lambda_records(cloud.reader.read(limit=1000), ARN, REGION)


def invoke(records: list[dict[str, Any]]) -> dict[str, Any]:
    """One Lambda invocation of publish_tag_changes with these records."""
    return app_module.publish_tag_changes({"Records": records}, None)


def published(cloud: Cloud) -> list[tuple[str, str]]:
    """(tag, image char) of each message on the queue; no eventId twice."""
    messages = cloud.received(QUEUE)
    assert len({m["eventId"] for m in messages}) == len(messages)
    return [(m["tag"], m["image"][-1]) for m in messages]


MOVES = [("v1", "a"), ("v2", "a"), ("v1", "b"), ("v2", "c"), ("v1", "d")]


def test_the_same_batch_twice_publishes_each_move_once(cloud):
    records = moved(cloud, MOVES)
    assert invoke(records) == {"batchItemFailures": []}
    assert invoke(records) == {"batchItemFailures": []}
    assert published(cloud) == MOVES


def test_overlapping_batches_publish_each_move_once(cloud):
    records = moved(cloud, MOVES)
    third = len(records) // 3
    invoke(records[:2 * third])
    invoke(records[third:])
    assert sorted(published(cloud)) == sorted(MOVES)


def test_a_record_repeated_inside_a_batch_publishes_once(cloud):
    records = moved(cloud, MOVES[:2])
    first_tag = next(r for r in records if tag_write(r) is not None)
    invoke([first_tag, *records, first_tag])
    assert published(cloud) == MOVES[:2]


def test_out_of_order_records_of_different_tags_publish_each_move_once(cloud):
    records = moved(cloud, MOVES)
    v1 = [r for r in records if r["dynamodb"]["Keys"]["SK"]["S"].startswith("T#v1")]
    v2 = [r for r in records if r["dynamodb"]["Keys"]["SK"]["S"].startswith("T#v2")]
    invoke(v2)  # the shard holding v2 is read first
    invoke(v1)
    invoke(records)  # and then everything once more
    messages = published(cloud)
    assert sorted(messages) == sorted(MOVES)
    assert [m for m in messages if m[0] == "v1"] == [("v1", "a"), ("v1", "b"), ("v1", "d")]


class DroppingSns:
    """moto's SNS client, failing the PublishBatch entries of chosen messages on the first
    `calls` calls: SNS faults are not reproducible with moto, so this wraps the client at the
    AWS boundary. Entries after a dropped one still go through."""

    def __init__(self, real: Any, drop: set[str], calls: int):
        self.real = real
        self.drop = drop
        self.calls = calls

    def publish_batch(self, **kwargs: Any) -> dict:
        entries = kwargs["PublishBatchRequestEntries"]
        failing = self.calls > 0
        self.calls -= 1
        dropped = [e for e in entries if failing and
                   (json.loads(e["Message"])["tag"], json.loads(e["Message"])["image"][-1])
                   in self.drop]
        kept = [e for e in entries if e not in dropped]
        sent = (self.real.publish_batch(**{**kwargs, "PublishBatchRequestEntries": kept})
                if kept else {"Successful": []})
        return {"Successful": sent["Successful"],
                "Failed": [{"Id": e["Id"], "Code": "InternalError", "SenderFault": False,
                            "Message": "injected"} for e in dropped]}


def test_a_partial_publish_failure_is_retried_from_the_record_it_reports(cloud, tmp_path):
    records = moved(cloud, MOVES)
    # The second move fails in all three attempts of the first invocation; the moves after
    # it are published all the same.
    cloud.publisher.client = DroppingSns(cloud.sns, drop={("v2", "a")}, calls=3)
    replies: list[dict] = []

    def handler(event: dict, context: Any) -> dict:
        replies.append(invoke(event["Records"]))
        return replies[-1]

    dead_letters: list[str] = []
    source = StreamPump(handler, None, ListReader(records), ARN, REGION,
                        tmp_path / "position.json", dead_letters.append, backoff=0)
    assert source.pump_once() == len(records)
    v2_created = next(r for r in records if r["dynamodb"]["Keys"]["SK"]["S"] == "T#v2"
                      and r["eventName"] == "INSERT")
    assert replies == [
        {"batchItemFailures": [{"itemIdentifier": v2_created["dynamodb"]["SequenceNumber"]}]},
        {"batchItemFailures": []}]
    assert dead_letters == []
    assert sorted(published(cloud)) == sorted(MOVES)


def test_a_publish_run_stops_at_the_first_call_that_keeps_failing(cloud, tmp_path):
    moves = [(f"t{index}", "a") for index in range(15)]
    records = moved(cloud, moves)
    # Calls: 10 of the first ten pass; of the next five 3, then none in the retries.
    cloud.publisher.client = FlakySns(cloud.sns, passes=[10, 3, 0, 0])
    reply = invoke(records)
    t13 = next(r for r in records if r["dynamodb"]["Keys"]["SK"]["S"] == "T#t13"
               and r["eventName"] == "INSERT")
    assert reply == {"batchItemFailures": [{"itemIdentifier": t13["dynamodb"]["SequenceNumber"]}]}
    assert len(published(cloud)) == 13
    start = records.index(t13)
    assert invoke(records[start:]) == {"batchItemFailures": []}
    assert [tag for tag, _ in published(cloud)] == ["t13", "t14"]


class ListReader:
    """StreamReader's interface over records already read (one batch)."""

    def __init__(self, records: list[dict[str, Any]]):
        self.batches = [records]
        self.position: dict[str, str] = {}

    def read(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.batches.pop(0) if self.batches else []


def test_the_ledger_remembers_event_ids_with_an_expiry_the_table_enforces(cloud):
    ledger = DynamoPublishLedger(cloud.dynamodb, TABLE, clock=lambda: 1_000_000)
    event_ids = [f"event-{index}" for index in range(130)]  # over one call of each kind
    assert ledger.published(event_ids) == set()
    ledger.record(event_ids[:60])
    assert ledger.published(event_ids) == set(event_ids[:60])
    item = cloud.dynamodb.get_item(TableName=TABLE, Key=ledger_key("event-0"))["Item"]
    assert item[EXPIRES_AT] == {"N": str(1_000_000 + KEEP_SECONDS)}
    assert table_properties()["TimeToLiveSpecification"] == {"AttributeName": EXPIRES_AT,
                                                             "Enabled": True}
    # The ledger's own writes are stream records too: none of them is a tag write.
    ledger_records = cloud.reader.read(limit=1000)
    assert len(ledger_records) == 60
    assert [tag_write(record) for record in ledger_records] == [None] * 60


@pytest.mark.parametrize("operation, call", [
    ("batch_get_item", lambda ledger: ledger.published(["e1"])),
    ("batch_write_item", lambda ledger: ledger.record(["e1"]))])
def test_a_ledger_request_dynamodb_refuses_is_service_unavailable(operation, call):
    client = new_client()
    # Refusals (a role without the permission) are not something moto produces: stubbed.
    with Stubber(client) as stub:
        stub.add_client_error(operation, service_error_code="AccessDeniedException",
                              http_status_code=400)
        with pytest.raises(ServiceUnavailable, match="AccessDeniedException"):
            call(DynamoPublishLedger(client, TABLE))


class UnwritableLedger(MemoryPublishLedger):
    """A ledger whose writes fail (DynamoDB throttling, which moto cannot produce)."""

    def record(self, event_ids: Any) -> None:
        raise ServiceUnavailable("throttled")


def test_published_messages_the_ledger_cannot_record_still_complete_the_batch(cloud):
    records = moved(cloud, MOVES[:2])
    writes = [(r["dynamodb"]["SequenceNumber"], w) for r in records
              if (w := tag_write(r)) is not None]
    outcome = publish_tag_changes(writes, cloud.publisher, UnwritableLedger())
    assert (outcome.published, outcome.retry_from) == (2, None)
    assert published(cloud) == MOVES[:2]
