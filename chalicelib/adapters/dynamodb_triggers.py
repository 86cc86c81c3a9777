"""Triggers in the table: one item per trigger and one claiming its endpoint."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import AlreadyExists, NotFound
from ..domain.stored_objects import TriggerRecord
from ..resources.triggers import ImageStreamTriggerSpec
from ..services.triggers import TRIGGERS, endpoint_taken
from .dynamodb_errors import translated
from .item_size import check_item_size


def _trigger_key(namespace: str, stream: str, name: str) -> dict[str, Any]:
    return {"PK": {"S": f"TRG#{namespace}/{stream}"}, "SK": {"S": name}}


def _endpoint_key(record: TriggerRecord) -> dict[str, Any]:
    return {"PK": {"S": f"TRGEP#{record.endpoint_key}"}, "SK": {"S": "#"}}


def trigger_item(record: TriggerRecord) -> dict[str, Any]:
    """A trigger as its item, sized (TooLarge) before it is written."""
    item = {**_trigger_key(record.namespace, record.stream, record.name),
            "namespace": {"S": record.namespace}, "stream": {"S": record.stream},
            "name": {"S": record.name}, "uid": {"S": record.uid},
            "created": {"S": record.created.isoformat()},
            "spec": {"S": json.dumps(record.spec.to_json())},
            "subscriptionArn": {"S": record.subscription_arn},
            "pending": {"BOOL": record.pending_confirmation}}
    if record.stream_uid:
        item["streamUid"] = {"S": record.stream_uid}
    check_item_size(item, f'imagestreamtrigger "{record.name}"')
    return item


def _decode(item: dict[str, Any]) -> TriggerRecord:
    return TriggerRecord(
        namespace=item["namespace"]["S"], stream=item["stream"]["S"], name=item["name"]["S"],
        uid=item["uid"]["S"], created=datetime.fromisoformat(item["created"]["S"]),
        spec=ImageStreamTriggerSpec.model_validate(json.loads(item["spec"]["S"])),
        subscription_arn=item["subscriptionArn"]["S"], pending_confirmation=item["pending"]["BOOL"],
        stream_uid=item.get("streamUid", {}).get("S", ""))


class DynamoTriggerStore:
    def __init__(self, client: Any, table: str):
        self.client = client
        self.table = table

    @translated
    def add_trigger(self, record: TriggerRecord) -> None:
        claim = {**_endpoint_key(record), "namespace": {"S": record.namespace},
                 "stream": {"S": record.stream}, "name": {"S": record.name},
                 "uid": {"S": record.uid}}
        new = "attribute_not_exists(PK)"
        try:
            self.client.transact_write_items(TransactItems=[
                {"Put": {"TableName": self.table, "Item": trigger_item(record),
                         "ConditionExpression": new}},
                {"Put": {"TableName": self.table, "Item": claim, "ConditionExpression": new}},
            ])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise AlreadyExists.of(TRIGGERS, record.name) from exc
            holder = self.client.get_item(TableName=self.table, Key=_endpoint_key(record),
                                          ConsistentRead=True).get("Item")
            if holder is None:
                raise
            owner = self.get_trigger(holder["namespace"]["S"], holder["stream"]["S"],
                                     holder["name"]["S"])
            raise endpoint_taken(record, owner) from exc

    @translated
    def set_subscription(self, record: TriggerRecord) -> None:
        # Only over the trigger itself: one removed meanwhile (its stream was deleted) is not
        # written back with a subscription nobody would remove.
        try:
            self.client.put_item(TableName=self.table, Item=trigger_item(record),
                                 ConditionExpression="#uid = :uid",
                                 ExpressionAttributeNames={"#uid": "uid"},
                                 ExpressionAttributeValues={":uid": {"S": record.uid}})
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound.of(TRIGGERS, record.name) from exc
            raise

    @translated
    def get_trigger(self, namespace: str, stream: str, name: str) -> TriggerRecord | None:
        item = self.client.get_item(TableName=self.table,
                                    Key=_trigger_key(namespace, stream, name),
                                    ConsistentRead=True).get("Item")
        return _decode(item) if item else None

    @translated
    def list_triggers(self, namespace: str, stream: str) -> list[TriggerRecord]:
        paginator = self.client.get_paginator("query")
        pages = paginator.paginate(TableName=self.table, KeyConditionExpression="PK = :pk",
                                   ExpressionAttributeValues={
                                       ":pk": {"S": f"TRG#{namespace}/{stream}"}},
                                   ConsistentRead=True)
        return [_decode(item) for page in pages for item in page["Items"]]

    @translated
    def remove_trigger(self, record: TriggerRecord) -> None:
        self.client.transact_write_items(TransactItems=[
            {"Delete": {"TableName": self.table,
                        "Key": _trigger_key(record.namespace, record.stream, record.name)}},
            {"Delete": {"TableName": self.table, "Key": _endpoint_key(record),
                        "ConditionExpression": "attribute_not_exists(PK) OR #uid = :uid",
                        "ExpressionAttributeNames": {"#uid": "uid"},
                        "ExpressionAttributeValues": {":uid": {"S": record.uid}}}},
        ])
