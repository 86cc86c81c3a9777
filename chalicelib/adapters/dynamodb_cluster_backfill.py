"""The Cluster index's attributes for stream items written before the index existed.

DynamoDB fills a new index from the items that carry its keys; a stream item gets
ClusterPK/ClusterSK only when a commit rewrites it. This gives the others theirs:
`python -m chalicelib.backfill` after the deployment that adds the index, and `make run`
on a restored snapshot.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ..services.ports import stream_key
from . import dynamodb_items as items
from .dynamodb_errors import CHECK_FAILED, error_code


@dataclass(frozen=True)
class BackfillPage:
    """One Scan page of the backfill: the stream items it gave the index's attributes, and
    the key to resume after (None when the table is done)."""

    updated: int
    resume_after: items.Item | None


def backfill_cluster_index(client: Any, table: str, start: items.Item | None = None,
                           page_size: int | None = None) -> Iterator[BackfillPage]:
    """Give every stream item without ClusterPK/ClusterSK the values a commit would write,
    one Scan page (of `page_size` items, or DynamoDB's 1 MB) at a time, from `start` (a
    previous page's `resume_after`) or the first.

    Idempotent: only items lacking the attributes are touched, and each update is
    conditioned on that, so running it again, whole or from any page, changes nothing
    already done. Nothing a client sees changes (the stream's version stays). Run it once
    every writer runs code that writes the attributes itself: an older one's commit puts
    the stream item without them.
    """
    params: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": ("SK = :stream AND begins_with(PK, :streams) "
                             "AND attribute_not_exists(ClusterPK)"),
        "ProjectionExpression": "PK, SK, #namespace, #name",
        "ExpressionAttributeNames": {"#namespace": "namespace", "#name": "name"},
        "ExpressionAttributeValues": {":stream": {"S": items.STREAM_SK},
                                      ":streams": {"S": items.STREAM_PARTITION_PREFIX}},
    }
    if start is not None:
        params["ExclusiveStartKey"] = start
    if page_size is not None:
        params["Limit"] = page_size
    while True:
        response = client.scan(**params)
        updated = sum(_add_cluster_keys(client, table, item) for item in response["Items"])
        resume_after = response.get("LastEvaluatedKey")
        yield BackfillPage(updated, resume_after)
        if resume_after is None:
            return
        params["ExclusiveStartKey"] = resume_after


def _add_cluster_keys(client: Any, table: str, item: items.Item) -> bool:
    """False if the stream is gone, or a commit wrote the attributes meanwhile."""
    namespace, name = item["namespace"]["S"], item["name"]["S"]
    try:
        client.update_item(
            TableName=table, Key=items.key(item["PK"]["S"], item["SK"]["S"]),
            UpdateExpression="SET ClusterPK = :pk, ClusterSK = :sk",
            ConditionExpression="attribute_exists(PK) AND attribute_not_exists(ClusterPK)",
            ExpressionAttributeValues={":pk": {"S": items.cluster_pk(namespace, name)},
                                       ":sk": {"S": stream_key(namespace, name)}})
    except ClientError as exc:
        if error_code(exc) == CHECK_FAILED:
            return False
        raise
    return True
