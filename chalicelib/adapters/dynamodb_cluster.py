"""Lists across namespaces on the table: the keys-only, sharded `Cluster` index of streams.

Each stream item carries ClusterPK (one of CLUSTER_SHARDS shards, by a hash of its
`<namespace>/<name>`) and ClusterSK (`<namespace>/<name>`). A page queries every shard for
the keys after its continue point and merges them in key order, as the schedule merges the
`Due` shards. Each shard is read lazily, a part of the page at a time, so a page reads a
small multiple of the keys it returns however many streams there are, and no Scan.

Stream items written before the index existed lack its attributes:
dynamodb_cluster_backfill adds them.
"""
from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from typing import Any

from . import dynamodb_items as items
from .dynamodb_reads import query_all


def page_keys(client: Any, table: str, limit: int, after: str | None
              ) -> tuple[list[items.Item], str | None]:
    """The index keys (PK, SK, ClusterPK, ClusterSK) of the first `limit` streams after
    `after`, in ClusterSK order, and the ClusterSK to continue after (None on the last page).
    """
    if limit <= 0:
        return [], None
    # One key past the page tells a full last page from one with more after it. Each shard
    # is read twice its fair share at a time: with hashed shards a second Query is rare,
    # and a page reads at most about three times the keys it returns.
    batch = 2 * -(-(limit + 1) // items.CLUSTER_SHARDS)
    merged = heapq.merge(*(_shard_keys(client, table, shard, after, batch)
                           for shard in items.cluster_shards()),
                         key=lambda found: found["ClusterSK"]["S"])
    found = list(itertools.islice(merged, limit + 1))
    chosen = found[:limit]
    return chosen, chosen[-1]["ClusterSK"]["S"] if len(found) > limit else None


def _shard_keys(client: Any, table: str, shard: str, after: str | None,
                batch: int) -> Iterator[items.Item]:
    """The shard's keys after `after`, in order; the next Query only when these run out."""
    params: dict[str, Any] = {
        "TableName": table, "IndexName": items.CLUSTER_INDEX, "Limit": batch,
        "KeyConditionExpression": "ClusterPK = :shard",
        "ExpressionAttributeValues": {":shard": {"S": shard}},
    }
    if after is not None:
        params["KeyConditionExpression"] += " AND ClusterSK > :after"
        params["ExpressionAttributeValues"][":after"] = {"S": after}
    return query_all(client, params)
