"""Lists across namespaces on the table: sharded index keys, merged in sort-key order.

Streams are in the keys-only `Cluster` index: ClusterPK (one of CLUSTER_SHARDS shards, by a
hash of its `<namespace>/<name>`) and ClusterSK (`<namespace>/<name>`). Images are in GSI1:
GSI1PK (one of IMAGES_SHARDS shards, by a hash of the digest, or the legacy single key)
and GSI1SK (the digest). A page queries every shard for the items after its continue
point, the first Query of each shard in parallel, and merges them in key order, as the
schedule merges the `Due` shards. Each shard is read lazily, a part of the page at a time,
so a page reads a small multiple of the items it returns however many the cluster holds,
and no Scan.

Items written before an index's shards existed lack them: dynamodb_cluster_backfill adds
them.
"""
from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from . import dynamodb_items as items
from .dynamodb_reads import query_all


@dataclass(frozen=True)
class ShardedIndex:
    name: str
    partition: str  # the index's hash key attribute, one value a shard
    sort: str  # its range key attribute: a page's order and its continue point
    shards: tuple[str, ...]


STREAMS = ShardedIndex(items.CLUSTER_INDEX, "ClusterPK", "ClusterSK",
                       tuple(items.cluster_shards()))
# The legacy key is read as one more shard: an image is under exactly one of the keys, so
# nothing is listed twice, and nothing written before the backfill (or by an older function
# during a deployment) is left out. Once none is left there, it costs a page one empty Query.
IMAGES = ShardedIndex(items.GSI1, "GSI1PK", "GSI1SK",
                      (*items.image_shards(), items.LEGACY_IMAGES_GSI1PK))

# Threads for the shards' first Queries, kept across invocations (a botocore client may be
# shared between threads); more than any index's shards, so none waits for another.
_READERS = ThreadPoolExecutor(max_workers=32, thread_name_prefix="shard-query")


def page(client: Any, table: str, index: ShardedIndex, limit: int, after: str | None
         ) -> tuple[list[items.Item], str | None]:
    """The index items of the first `limit` entries after `after`, in sort-key order, and
    the sort key to continue after (None on the last page)."""
    if limit <= 0:
        return [], None
    # One item past the page tells a full last page from one with more after it. Each shard
    # is read twice its fair share at a time: with hashed shards a second Query is rare,
    # and a page reads at most about three times the items it returns.
    batch = 2 * -(-(limit + 1) // len(index.shards))
    queries = [_shard_query(table, index, shard, after, batch) for shard in index.shards]
    firsts = [_READERS.submit(client.query, **params) for params in queries]
    merged = heapq.merge(*(_shard_items(client, params, first)
                           for params, first in zip(queries, firsts, strict=True)),
                         key=lambda found: found[index.sort]["S"])
    # An item whose key moves between shards (the backfill) may show in both for a moment
    # in an eventually consistent read: listed once.
    unique = (next(same) for _, same in itertools.groupby(
        merged, key=lambda found: found[index.sort]["S"]))
    found = list(itertools.islice(unique, limit + 1))
    chosen = found[:limit]
    return chosen, chosen[-1][index.sort]["S"] if len(found) > limit else None


def _shard_query(table: str, index: ShardedIndex, shard: str, after: str | None,
                 batch: int) -> dict[str, Any]:
    params: dict[str, Any] = {
        "TableName": table, "IndexName": index.name, "Limit": batch,
        "KeyConditionExpression": "#shard = :shard",
        "ExpressionAttributeNames": {"#shard": index.partition},
        "ExpressionAttributeValues": {":shard": {"S": shard}},
    }
    if after is not None:
        params["KeyConditionExpression"] += " AND #sort > :after"
        params["ExpressionAttributeNames"]["#sort"] = index.sort
        params["ExpressionAttributeValues"][":after"] = {"S": after}
    return params


def _shard_items(client: Any, params: dict[str, Any], first: Future[Any]
                 ) -> Iterator[items.Item]:
    """The shard's items in order: its first Query's, then the next only when these run
    out."""
    response = first.result()
    yield from response["Items"]
    if "LastEvaluatedKey" in response:
        yield from query_all(client, {**params,
                                      "ExclusiveStartKey": response["LastEvaluatedKey"]})
