"""The keys of the lists across namespaces for items written before those keys existed.

DynamoDB fills a new index from the items that carry its keys; a stream item gets
ClusterPK/ClusterSK only when a commit rewrites it, and an image item, written once, keeps
the single GSI1PK `IMAGES` it had before the image shards. This gives stream items their
Cluster keys and moves image items to their shard: `python -m chalicelib.backfill` after
the deployment that adds them, and `make run` on a restored snapshot.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..services.ports import stream_key
from . import dynamodb_items as items
from .dynamodb_errors import conditionally


@dataclass(frozen=True)
class BackfillPage:
    """One Scan page of a backfill: the items it updated, and the key to resume after
    (None when the table is done)."""

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
    return scan_pages(client, params, lambda item: _add_cluster_keys(client, table, item), start,
                      page_size)


def backfill_image_shards(client: Any, table: str, start: items.Item | None = None,
                          page_size: int | None = None) -> Iterator[BackfillPage]:
    """Move every image item still under the legacy GSI1PK to its shard, one Scan page at
    a time as backfill_cluster_index does.

    Idempotent in the same way: only items under the legacy key are touched, each update
    conditioned on it. The image list reads the legacy key too, so an image is listed
    before, during and after its move; the move costs the index a delete and a put.
    """
    params: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "SK = :image AND GSI1PK = :legacy",
        "ProjectionExpression": "PK, SK, GSI1SK",
        "ExpressionAttributeValues": {":image": {"S": items.STREAM_SK},
                                      ":legacy": {"S": items.LEGACY_IMAGES_GSI1PK}},
    }
    return scan_pages(client, params, lambda item: _move_image(client, table, item), start,
                      page_size)


def scan_pages(client: Any, params: dict[str, Any], update: Callable[[items.Item], int],
               start: items.Item | None, page_size: int | None) -> Iterator[BackfillPage]:
    """Scan with `params` a page at a time from `start`, `update` each item found (it
    returns how many items it updated) and yield each page's count and resume key."""
    if start is not None:
        params["ExclusiveStartKey"] = start
    if page_size is not None:
        params["Limit"] = page_size
    while True:
        response = client.scan(**params)
        updated = sum(update(item) for item in response["Items"])
        resume_after = response.get("LastEvaluatedKey")
        yield BackfillPage(updated, resume_after)
        if resume_after is None:
            return
        params["ExclusiveStartKey"] = resume_after


def _add_cluster_keys(client: Any, table: str, item: items.Item) -> bool:
    """False if the stream is gone, or a commit wrote the attributes meanwhile."""
    namespace, name = item["namespace"]["S"], item["name"]["S"]
    return conditionally(lambda: client.update_item(
        TableName=table, Key=items.key(item["PK"]["S"], item["SK"]["S"]),
        UpdateExpression="SET ClusterPK = :pk, ClusterSK = :sk",
        ConditionExpression="attribute_exists(PK) AND attribute_not_exists(ClusterPK)",
        ExpressionAttributeValues={":pk": {"S": items.cluster_pk(namespace, name)},
                                   ":sk": {"S": stream_key(namespace, name)}}))


def _move_image(client: Any, table: str, item: items.Item) -> bool:
    """False if the image is gone, or moved meanwhile."""
    return conditionally(lambda: client.update_item(
        TableName=table, Key=items.key(item["PK"]["S"], item["SK"]["S"]),
        UpdateExpression="SET GSI1PK = :shard", ConditionExpression="GSI1PK = :legacy",
        ExpressionAttributeValues={
            ":shard": {"S": items.images_gsi1pk(item["GSI1SK"]["S"])},
            ":legacy": {"S": items.LEGACY_IMAGES_GSI1PK}}))
