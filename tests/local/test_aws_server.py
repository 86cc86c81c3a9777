"""The emulator's server (local.aws_server) against DynamoDB's rules, over HTTP.

It is started as `make run` starts it (local.emulator.start_emulator) on a free port, with
the table of infra/table.json and its stream. Each test uses partitions of its own.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local import emulator
from local.processes import stop
from local.settings import Settings
from local.stack import AWS_VARIABLES
from testbed.dynamodb import create_table
from testbed.registry import free_port

TABLE = "aws-server-test"


class Emulated:
    def __init__(self, settings: Settings):
        self.dynamodb = emulator.client(settings, "dynamodb")
        self.streams = emulator.client(settings, "dynamodbstreams")

    def put(self, pk: str, sk: str, **attributes: Any) -> None:
        self.dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": pk}, "SK": {"S": sk},
                                                      **attributes})

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        return self.dynamodb.get_item(TableName=TABLE, Key=key(pk, sk),
                                      ConsistentRead=True).get("Item")

    def shard_iterator(self, kind: str = "TRIM_HORIZON") -> str:
        arn = self.dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        return self.streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                               ShardIteratorType=kind)["ShardIterator"]

    def records(self, iterator: str) -> tuple[list[dict[str, Any]], str]:
        """Every record from `iterator` on, and the iterator to continue with."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.streams.get_records(ShardIterator=iterator)
            found += page["Records"]
            iterator = page["NextShardIterator"]
            if not page["Records"]:
                return found, iterator


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulated]:
    state: Path = tmp_path_factory.mktemp("aws-server")
    (state / "logs").mkdir()
    settings = Settings(aws_port=free_port(), state_dir=state)
    child = emulator.start_emulator(
        settings, {k: v for k, v in os.environ.items() if k not in AWS_VARIABLES})
    try:
        emulated = Emulated(settings)
        create_table(emulated.dynamodb, TABLE)
        yield emulated
    finally:
        stop(child)


def test_a_cancelled_transaction_leaves_the_items_and_the_stream_as_they_were(aws):
    aws.put("cancel", "a", v={"N": "1"})
    aws.put("cancel", "gone", v={"N": "1"})
    before, iterator = aws.records(aws.shard_iterator())
    with pytest.raises(ClientError) as refused:
        aws.dynamodb.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": key("cancel", "a"),
                        "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}}}},
            {"Put": {"TableName": TABLE, "Item": {**key("cancel", "b"), "v": {"N": "1"}}}},
            {"Delete": {"TableName": TABLE, "Key": key("cancel", "gone")}},
            {"ConditionCheck": {"TableName": TABLE, "Key": key("cancel", "c"),
                                "ConditionExpression": "attribute_exists(PK)"}}])
    reasons = [reason["Code"] for reason in refused.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert aws.get("cancel", "a")["v"] == {"N": "1"}
    assert aws.get("cancel", "b") is None
    assert aws.get("cancel", "gone") is not None
    assert aws.records(aws.shard_iterator())[0] == before  # no record of the undone writes
    # A reader's iterator from before the rollback sees what is written after it.
    aws.put("cancel", "after")
    after, _ = aws.records(iterator)
    assert [record["dynamodb"]["Keys"]["SK"]["S"] for record in after] == ["after"]


def test_a_repeated_client_request_token_is_answered_without_applying_again(aws):
    count = {"Update": {"TableName": TABLE, "Key": key("token", "counter"),
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}}
    aws.dynamodb.transact_write_items(TransactItems=[count], ClientRequestToken="first")
    aws.dynamodb.transact_write_items(TransactItems=[count], ClientRequestToken="first")
    assert aws.get("token", "counter")["n"] == {"N": "1"}
    aws.dynamodb.transact_write_items(TransactItems=[count], ClientRequestToken="second")
    assert aws.get("token", "counter")["n"] == {"N": "2"}
    with pytest.raises(ClientError) as mismatch:
        aws.dynamodb.transact_write_items(TransactItems=[
            {**count, "Update": {**count["Update"], "Key": key("token", "other")}}],
            ClientRequestToken="first")
    assert mismatch.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"


def test_a_query_reads_its_partition_in_order_and_pages(aws):
    for sk in "cabed":
        aws.put("query", f"T#{sk}", GSI1PK={"S": "query-index"}, GSI1SK={"S": sk})
    aws.put("query-other", "T#z")
    pages, start = [], None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = aws.dynamodb.query(
            TableName=TABLE, KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={":pk": {"S": "query"}, ":prefix": {"S": "T#"}},
            ScanIndexForward=False, Limit=2, **extra)
        pages.append([item["SK"]["S"] for item in page["Items"]])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert [sk for page in pages for sk in page] == ["T#e", "T#d", "T#c", "T#b", "T#a"]
    assert all(len(page) <= 2 for page in pages)
    indexed = aws.dynamodb.query(TableName=TABLE, IndexName="GSI1",
                                 KeyConditionExpression="GSI1PK = :pk",
                                 ExpressionAttributeValues={":pk": {"S": "query-index"}})
    assert [item["GSI1SK"]["S"] for item in indexed["Items"]] == list("abcde")


def test_conditional_writes_from_many_threads_lose_nothing(aws):
    """Each thread bumps a version with a conditional TransactWriteItems, retrying on a lost
    race: the final version counts every success only if each request ran alone."""
    threads, bumps = 8, 10
    aws.put("race", "#", version={"N": "0"})
    start = threading.Barrier(threads)

    def bump(_: int) -> None:
        client = aws.dynamodb
        start.wait()
        for _ in range(bumps):
            while True:
                version = int(aws.get("race", "#")["version"]["N"])
                try:
                    client.transact_write_items(TransactItems=[{"Put": {
                        "TableName": TABLE, "Item": {**key("race", "#"),
                                                     "version": {"N": str(version + 1)}},
                        "ConditionExpression": "version = :seen",
                        "ExpressionAttributeValues": {":seen": {"N": str(version)}}}}])
                    break
                except ClientError as lost:
                    assert lost.response["Error"]["Code"] == "TransactionCanceledException"

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(bump, range(threads)))
    assert aws.get("race", "#")["version"] == {"N": str(threads * bumps)}
