"""The import schedule on the table: the sparse `Due` index of scheduled tag items.

A tag item carries DuePK (a shard) and DueAt only while the tag is scheduled, so the
index holds exactly the schedule; a cycle queries each shard for `DueAt <= now` and reads
nothing else. Next-due updates touch DueAt alone: the head attributes the table-stream
publisher compares stay as they are, and the stream's version does not move.
"""
from __future__ import annotations

import heapq
from datetime import datetime
from typing import Any, Callable, Optional

from botocore.exceptions import ClientError

from ..domain.records import TagRecord
from ..services.ports import DueTag
from . import dynamodb_items as items

BATCH_GET = 100
CHECK_FAILED = "ConditionalCheckFailedException"


def due_tags(client: Any, table: str, before: datetime, limit: int,
             busy: Callable[[], Exception]) -> list[DueTag]:
    """The `limit` longest-due tags of live streams, oldest first."""
    if limit <= 0:
        return []
    shards = [_query_shard(client, table, shard, before, limit) for shard in items.due_shards()]
    chosen = list(heapq.merge(*shards, key=lambda item: item["DueAt"]["S"]))[:limit]
    streams = _stream_items(client, table, sorted({item["PK"]["S"] for item in chosen}), busy)
    found = []
    for item in chosen:
        stream = streams.get(item["PK"]["S"])
        # A deleted stream's tag items can outlive it (see dynamodb_store): never act on them.
        if stream is not None and stream["uid"] == item["uid"]:
            found.append(DueTag(items.decode_stream(stream), items.decode_tag(item)))
    return found


def reschedule(client: Any, table: str, namespace: str, name: str, tag: TagRecord,
               due: Optional[datetime]) -> bool:
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


def _stream_items(client: Any, table: str, pks: list[str],
                  busy: Callable[[], Exception]) -> dict[str, items.Item]:
    """Stream items by partition key, strongly consistent, 100 to a request."""
    found: dict[str, items.Item] = {}
    for start in range(0, len(pks), BATCH_GET):
        keys = [items.key(pk, items.STREAM_SK) for pk in pks[start:start + BATCH_GET]]
        request = {table: {"Keys": keys, "ConsistentRead": True}}
        for _ in range(5):
            response = client.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(table, []):
                found[item["PK"]["S"]] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise busy()
    return found
