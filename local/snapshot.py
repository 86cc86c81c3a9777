"""The local stack's state across restarts: the table, trigger subscriptions and secrets.

The emulator holds everything in memory, so the stack saves the table, the topic's
subscriptions (trigger items point at them by ARN) and the secrets (pull secrets live in
Secrets Manager) to one JSON file and loads it into the fresh emulator on start. A restored
subscription gets a new ARN from the emulator; items naming the old one are rewritten.
"""
from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from chalicelib.adapters.dynamodb_cluster_backfill import (
    backfill_cluster_index,
    backfill_image_shards,
)
from chalicelib.adapters.dynamodb_history_backfill import backfill_history

from .emulator import Resources, client
from .settings import Settings

ATTRIBUTES = ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery")
BATCH = 25  # BatchWriteItem's limit


def _binary(value: Any, convert: Any) -> Any:
    """A DynamoDB-typed value with its binary parts converted (bytes <-> base64 text)."""
    (kind, inner), = value.items()
    if kind == "B":
        return {kind: convert(inner)}
    if kind == "BS":
        return {kind: [convert(part) for part in inner]}
    if kind == "M":
        return {kind: {name: _binary(part, convert) for name, part in inner.items()}}
    if kind == "L":
        return {kind: [_binary(part, convert) for part in inner]}
    return value


def _to_json(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _binary(value, lambda raw: base64.b64encode(raw).decode())
            for name, value in item.items()}


def _from_json(item: dict[str, Any], arns: dict[str, str]) -> dict[str, Any]:
    restored = {name: _binary(value, base64.b64decode) for name, value in item.items()}
    return {name: ({"S": arns[value["S"]]} if value.get("S") in arns else value)
            for name, value in restored.items()}


def _subscriptions(settings: Settings, resources: Resources) -> list[dict[str, Any]]:
    sns, sqs = client(settings, "sns"), client(settings, "sqs")
    demo = sqs.get_queue_attributes(QueueUrl=resources.demo_queue_url,
                                    AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    saved = []
    pages = sns.get_paginator("list_subscriptions_by_topic").paginate(
        TopicArn=resources.topic_arn)
    for subscription in (s for page in pages for s in page["Subscriptions"]):
        if subscription["Endpoint"] == demo:
            continue  # the stack makes its own on every start
        attributes = sns.get_subscription_attributes(
            SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
        saved.append({"arn": subscription["SubscriptionArn"],
                      "protocol": subscription["Protocol"], "endpoint": subscription["Endpoint"],
                      "attributes": {k: attributes[k] for k in ATTRIBUTES if k in attributes}})
    return saved


def _secrets(settings: Settings) -> list[dict[str, Any]]:
    manager = client(settings, "secretsmanager")
    saved = []
    for page in manager.get_paginator("list_secrets").paginate():
        for entry in page["SecretList"]:
            value = manager.get_secret_value(SecretId=entry["ARN"])
            content = ({"SecretString": value["SecretString"]} if "SecretString" in value else
                       {"SecretBinary": base64.b64encode(value["SecretBinary"]).decode()})
            saved.append({"Name": entry["Name"], "Tags": entry.get("Tags", []), **content,
                          "Description": entry.get("Description", "")})
    return saved


def _restore_secrets(settings: Settings, secrets: list[dict[str, Any]]) -> None:
    manager = client(settings, "secretsmanager")
    for secret in secrets:
        if "SecretBinary" in secret:
            secret = {**secret, "SecretBinary": base64.b64decode(secret["SecretBinary"])}
        manager.create_secret(**secret)


def save(settings: Settings, resources: Resources, path: Path) -> int:
    """Write the snapshot (atomically: a crash mid-write keeps the previous one)."""
    pages = client(settings, "dynamodb").get_paginator("scan").paginate(
        TableName=resources.table, ConsistentRead=True)
    items = [_to_json(item) for page in pages for item in page["Items"]]
    snapshot = {"version": 1, "items": items,
                "subscriptions": _subscriptions(settings, resources),
                "secrets": _secrets(settings)}
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(snapshot), encoding="utf-8")
    os.replace(partial, path)
    return len(items)


def _resubscribe(settings: Settings, resources: Resources,
                 subscriptions: list[dict[str, Any]]) -> dict[str, str]:
    """Subscribe again; queues of this emulator that were subscribed are made again too."""
    sns, sqs = client(settings, "sns"), client(settings, "sqs")
    arns = {}
    for saved in subscriptions:
        if saved["protocol"] == "sqs" and saved["endpoint"].startswith("arn:aws:sqs:"):
            name = saved["endpoint"].rsplit(":", 1)[1]
            fifo = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
            sqs.create_queue(QueueName=name, Attributes=fifo)
        arns[saved["arn"]] = sns.subscribe(
            TopicArn=resources.topic_arn, Protocol=saved["protocol"],
            Endpoint=saved["endpoint"], Attributes=saved["attributes"],
            ReturnSubscriptionArn=True)["SubscriptionArn"]
    return arns


def restore(settings: Settings, resources: Resources, path: Path) -> int:
    """Load the snapshot into the fresh table; the number of items, 0 without a snapshot."""
    if not path.exists():
        return 0
    snapshot = json.loads(path.read_text(encoding="utf-8"))
    _restore_secrets(settings, snapshot["secrets"])
    arns = _resubscribe(settings, resources, snapshot["subscriptions"])
    items = [_from_json(item, arns) for item in snapshot["items"]]
    dynamodb = client(settings, "dynamodb")
    for start in range(0, len(items), BATCH):
        request = {resources.table: [{"PutRequest": {"Item": item}}
                                     for item in items[start:start + BATCH]]}
        while request:
            request = dynamodb.batch_write_item(RequestItems=request)["UnprocessedItems"]
    # A snapshot saved by an earlier version has stream items without the Cluster index's
    # attributes, image items under the single GSI1 key and history at the keys in the
    # tags' range: the backfill a deployment runs gives them theirs.
    for step in (backfill_cluster_index, backfill_image_shards, backfill_history):
        for _ in step(dynamodb, resources.table):
            pass
    return len(items)
