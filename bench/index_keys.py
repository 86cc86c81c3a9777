"""The write rate each index key of the table allows, from the layout's shard counts.

DynamoDB serves a partition key from one partition, which takes about 1,000 write units a
second, and an index whose partition is throttled throttles the table's writes that feed
it. An index key's write rate is that limit times its shards; an item written costs the
index a unit per KB of what it projects (both ALL-projected indexes project the whole
item). Nothing is run: the numbers follow from dynamodb_items' constants.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.adapters import dynamodb_items as items

from .report import Section

TITLE = "DynamoDB write rate per index key"
# DynamoDB's documented limit of one partition (write units a second); not measured here.
PARTITION_WRITE_UNITS = 1_000


@dataclass(frozen=True)
class IndexKey:
    index: str
    key: str
    written_on: str
    shards: int

    def units(self) -> int:
        return self.shards * PARTITION_WRITE_UNITS


def _shard_key(shards: list[str]) -> str:
    return f"{shards[0].rsplit('#', 1)[0]}#<n>"


def index_keys() -> list[IndexKey]:
    return [
        IndexKey(items.GSI1, _shard_key(items.image_shards()),
                 "each new image, pushed or imported, in any namespace",
                 len(items.image_shards())),
        IndexKey(items.GSI1, items.LEGACY_IMAGES_GSI1PK,
                 "the same, before the shards (the backfill moves what it holds)", 1),
        IndexKey(items.GSI1, items.namespace_gsi1pk("<ns>"),
                 "each commit to a stream of the namespace (the stream item is rewritten)", 1),
        IndexKey(items.DUE_INDEX, _shard_key(items.due_shards()),
                 "each scheduled tag's next-due time, every import cycle",
                 len(items.due_shards())),
        IndexKey(items.CLUSTER_INDEX, _shard_key(items.cluster_shards()),
                 "each stream created or deleted (keys only)", len(items.cluster_shards())),
    ]


def report(keys: list[IndexKey]) -> str:
    lines = [
        "What each index key of the table can take before DynamoDB throttles it, from the "
        "shard counts in `chalicelib/adapters/dynamodb_items.py` (`bench/index_keys.py`, "
        f"no requests made): {PARTITION_WRITE_UNITS:,} write units a second per partition "
        "(DynamoDB's documented limit) times the key's shards. A write unit is a write of up "
        "to 1 KB of what the index projects: GSI1 and `Due` project whole items, so an image "
        "item of 3 KB costs its shard 3 units; `Cluster` holds keys only (1 unit).",
        "",
        "| index | key | written on | shards | write units/s per partition | "
        "write units/s allowed |",
        "|---|---|---|---:|---:|---:|",
    ]
    lines += [f"| {k.index} | `{k.key}` | {k.written_on} | {k.shards} | "
              f"{PARTITION_WRITE_UNITS:,} | {k.units():,} |" for k in keys]
    images, before = keys[0], keys[1]
    lines += [
        "",
        f"Images spread over {images.shards} shards by a hash of the digest take "
        f"{images.units() // before.units()} times what the single `IMAGES` key took, and the "
        f"list of images across the cluster reads the {images.shards} shards and the old key "
        "in parallel, one Query each. `NS#<ns>` stays one key a namespace: it limits the "
        "commits of one namespace, not the cluster's.",
    ]
    return "\n".join(lines)


def run() -> Section:
    return Section(TITLE, report(index_keys()))
