"""The import schedule on the table: the sparse `Due` index of scheduled tag items.

A tag item carries DuePK (a shard) and DueAt only while the tag is scheduled, so the
index holds exactly the schedule; a cycle queries each shard for `DueAt <= now` and reads
nothing else. Next-due updates touch DueAt alone: the head attributes the table-stream
publisher compares stay as they are, and the stream's version does not move.

A stream's spec.dockerImageRepository has an entry of its own in the same index: an item
`REPO#<ns>/<name>` (outside the stream's partition, so it can be set before the write that
creates the stream, whose commit clears that partition). An entry whose stream is gone is
deleted when it comes due.
"""
from __future__ import annotations

import heapq
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.records import TagRecord
from ..services.ports import DueEntry, DueRepository, DueTag
from . import dynamodb_items as items
from .dynamodb_reads import batch_get

CHECK_FAILED = "ConditionalCheckFailedException"
REPOSITORY_PREFIX = "REPO#"


def due_entries(client: Any, table: str, before: datetime, limit: int) -> list[DueEntry]:
    """The `limit` longest-due tags and repositories of live streams, oldest first."""
    if limit <= 0:
        return []
    shards = [_query_shard(client, table, shard, before, limit) for shard in items.due_shards()]
    chosen = list(heapq.merge(*shards, key=lambda item: item["DueAt"]["S"]))[:limit]
    streams = _stream_items(client, table, sorted({_stream_pk(item) for item in chosen}))
    found: list[DueEntry] = []
    for item in chosen:
        stream = streams.get(_stream_pk(item))
        if item["PK"]["S"].startswith(REPOSITORY_PREFIX):
            if stream is None:
                _drop_entry(client, table, item)
            else:
                found.append(DueRepository(items.decode_stream(stream),
                                           datetime.fromisoformat(item["DueAt"]["S"])))
        # A deleted stream's tag items can outlive it (see dynamodb_store): never act on them.
        elif stream is not None and stream["uid"] == item["uid"]:
            found.append(DueTag(items.decode_stream(stream), items.decode_tag(item)))
    return found


def reschedule(client: Any, table: str, namespace: str, name: str, tag: TagRecord,
               due: datetime | None) -> bool:
    pk = items.stream_pk(namespace, name)
    values: dict[str, Any] = {":inc": {"S": tag.incarnation}}
    condition = "incarnation = :inc AND " + (
        "DueAt = :old" if tag.due is not None else "attribute_not_exists(DueAt)")
    if tag.due is not None:
        values[":old"] = {"S": items.due_at(tag.due)}
    if due is None:
        update = "REMOVE DuePK, DueAt"
    else:
        update = "SET DuePK = :shard, DueAt = :new"
        values.update({":shard": {"S": items.due_pk(pk, tag.name)},
                       ":new": {"S": items.due_at(due)}})
    try:
        client.update_item(TableName=table, Key=items.key(pk, items.tag_sk(tag.name)),
                           UpdateExpression=update, ConditionExpression=condition,
                           ExpressionAttributeValues=values)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == CHECK_FAILED:
            return False
        raise
    return True


def _repository_pk(namespace: str, name: str) -> str:
    return f"{REPOSITORY_PREFIX}{namespace}/{name}"


def _stream_pk(item: items.Item) -> str:
    """The partition of the stream a Due index item schedules for."""
    pk = item["PK"]["S"]
    if pk.startswith(REPOSITORY_PREFIX):
        namespace, name = pk[len(REPOSITORY_PREFIX):].split("/", 1)
        return items.stream_pk(namespace, name)
    return pk


def reschedule_repository(client: Any, table: str, namespace: str, name: str,
                          read: datetime | None, due: datetime | None) -> bool:
    """Set (or with no `due`, delete) a repository's entry; when `read` is given, only if
    the entry is still due then, so a time set meanwhile by an import wins."""
    pk = _repository_pk(namespace, name)
    params: dict[str, Any] = {"TableName": table, "Key": items.key(pk, items.STREAM_SK)}
    values: dict[str, Any] = {}
    if read is not None:
        params["ConditionExpression"] = "DueAt = :old"
        values[":old"] = {"S": items.due_at(read)}
    if due is not None:
        params["UpdateExpression"] = "SET DuePK = :shard, DueAt = :new"
        values.update({":shard": {"S": items.due_pk(pk, "")},
                       ":new": {"S": items.due_at(due)}})
    if values:
        params["ExpressionAttributeValues"] = values
    try:
        if due is None:
            client.delete_item(**params)
        else:
            client.update_item(**params)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == CHECK_FAILED:
            return False
        raise
    return True


def _drop_entry(client: Any, table: str, item: items.Item) -> None:
    """Delete the entry of a stream that is gone, unless it was set again since it was read
    (a stream of that name being created with a repository)."""
    try:
        client.delete_item(TableName=table, Key=items.key(item["PK"]["S"], items.STREAM_SK),
                           ConditionExpression="DueAt = :old",
                           ExpressionAttributeValues={":old": item["DueAt"]})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != CHECK_FAILED:
            raise


def _query_shard(client: Any, table: str, shard: str, before: datetime,
                 limit: int) -> list[items.Item]:
    params: dict[str, Any] = {
        "TableName": table, "IndexName": items.DUE_INDEX, "Limit": limit,
        "KeyConditionExpression": "DuePK = :shard AND DueAt <= :before",
        "ExpressionAttributeValues": {":shard": {"S": shard},
                                      ":before": {"S": items.due_at(before)}},
    }
    found: list[items.Item] = []
    while len(found) < limit:
        response = client.query(**params)
        found += response["Items"]
        if "LastEvaluatedKey" not in response:
            break
        params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return found[:limit]


def _stream_items(client: Any, table: str, pks: list[str]) -> dict[str, items.Item]:
    """Stream items by partition key, strongly consistent."""
    keys = [items.key(pk, items.STREAM_SK) for pk in pks]
    return {item["PK"]["S"]: item for item in batch_get(client, table, keys)}
