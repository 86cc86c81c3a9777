"""DynamoDB for tests: moto, with the table created from infra/table.json."""
from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

from chalicelib.adapters.dynamodb_store import DynamoStore

TEMPLATE = Path(__file__).resolve().parents[1] / "infra" / "table.json"
RESOURCE = "ImageStreamsTable"
TABLE_NAME = "imagestreams-test"
REGION = "us-east-1"


def table_properties() -> dict[str, Any]:
    resource = json.loads(TEMPLATE.read_text(encoding="utf-8"))["Resources"][RESOURCE]
    assert resource["Type"] == "AWS::DynamoDB::Table"
    return resource["Properties"]


def create_table_args(name: str, *, stream: bool = True) -> dict[str, Any]:
    """create_table arguments for the table of infra/table.json.

    Point-in-time recovery and time to live are no create_table arguments: create_table
    applies them after. Deletion protection is left off: tests delete their tables.
    Any other property this does not know fails loudly rather than being left out.
    `stream=False` leaves out the table's stream, see mocked_table.
    """
    properties = dict(table_properties())
    args: dict[str, Any] = {"TableName": name}
    for same in ("AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes"):
        if same in properties:
            args[same] = properties.pop(same)
    if "StreamSpecification" in properties:
        spec = properties.pop("StreamSpecification")
        if stream:
            args["StreamSpecification"] = {"StreamEnabled": True, **spec}
    if "SSESpecification" in properties:
        sse = properties.pop("SSESpecification")
        args["SSESpecification"] = {"Enabled": sse["SSEEnabled"],
                                    **{k: v for k, v in sse.items() if k != "SSEEnabled"}}
    properties.pop("PointInTimeRecoverySpecification", None)
    properties.pop("TimeToLiveSpecification", None)
    properties.pop("DeletionProtectionEnabled", None)
    if properties:
        raise ValueError(f"{TEMPLATE.name}: properties the test table does not translate: "
                         f"{sorted(properties)}")
    return args


def create_table(client: Any, name: str, *, stream: bool = True) -> None:
    client.create_table(**create_table_args(name, stream=stream))
    recovery = table_properties().get("PointInTimeRecoverySpecification")
    if recovery:
        client.update_continuous_backups(TableName=name,
                                         PointInTimeRecoverySpecification=recovery)
    expiry = table_properties().get("TimeToLiveSpecification")
    if expiry:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=expiry)


def new_client(endpoint_url: str = f"https://dynamodb.{REGION}.amazonaws.com") -> Any:
    # An explicit endpoint and fake keys: moto answers even if the environment points
    # AWS_ENDPOINT_URL or credentials somewhere real.
    return boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint_url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@dataclass
class DynamoTable:
    client: Any
    name: str

    def store(self) -> DynamoStore:
        return DynamoStore(self.client, self.name)

    def items(self) -> list[dict[str, Any]]:
        """Every item of the table (a Scan: for assertions only)."""
        pages = self.client.get_paginator("scan").paginate(TableName=self.name,
                                                           ConsistentRead=True)
        return [item for page in pages for item in page["Items"]]

    def batch_put(self, items: list[dict[str, Any]]) -> None:
        """Write items 25 at a time, for seeding large fixtures quickly."""
        for start in range(0, len(items), 25):
            request = {self.name: [{"PutRequest": {"Item": item}}
                                   for item in items[start:start + 25]]}
            while request:
                request = self.client.batch_write_item(RequestItems=request)["UnprocessedItems"]


@functools.cache
def shared_client() -> Any:
    """One client for the test process (creating one takes a tenth of a second); tests that
    register event hooks make their own with new_client()."""
    return new_client()


@contextmanager
def mocked_table(client: Any = None, name: str = TABLE_NAME, *,
                 stream: bool = True) -> Iterator[DynamoTable]:
    """A fresh moto DynamoDB holding the table, for the duration of the block.

    moto 5.2 keeps every stream record of the table and deep-copies the whole table, records
    included, on each TransactWriteItems: heavy tests that do not read the stream pass
    `stream=False` (about 5x faster). Disabling it later with update_table crashes moto.
    """
    with mock_aws():
        table = DynamoTable(client or shared_client(), name)
        create_table(table.client, name, stream=stream)
        yield table


@contextmanager
def atomic_requests() -> Iterator[None]:
    """Make each DynamoDB request atomic in moto, as it is in DynamoDB.

    moto 5.2 does not lock its backend: TransactWriteItems checks every condition, then
    applies the writes, and on a failure restores a deep copy of the whole table taken at
    its start; requests of other threads can run in between, so under threads a condition
    can pass on a state that is gone and a rollback can undo another request's writes.
    This lock serialises whole requests (the unit DynamoDB makes atomic), nothing larger:
    the read-plan-commit cycles of the threads under test still interleave freely.
    """
    lock = threading.Lock()
    original = DynamoHandler.call_action

    @functools.wraps(original)
    def call_action(self: DynamoHandler) -> Any:
        with lock:
            return original(self)

    with mock.patch.object(DynamoHandler, "call_action", call_action):
        yield
