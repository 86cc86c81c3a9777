"""What a page of a list across namespaces costs on DynamoDB: the shards' Queries of the
keys-only Cluster index, reading a small multiple of the page's keys, then the page's own
items; never a Scan, never the whole index, however many streams the cluster holds."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.dynamodb_store import DynamoStore
from chalicelib.domain.records import TagRecord
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService
from testbed.dynamodb import DynamoTable, mocked_table, new_client
from tests.contract.builders import event, stream

SHARDS = items.CLUSTER_SHARDS
NAMESPACES = [f"ns{n}" for n in range(8)]
STREAMS_PER_NAMESPACE = 100  # 800 streams: any page below reads far fewer keys


@dataclass
class Requests:
    calls: Counter[str] = field(default_factory=Counter)
    index_keys_read: int = 0

    def count(self, event_name: str, **_: Any) -> None:
        self.calls[event_name.rsplit(".", 1)[-1]] += 1

    def note_index(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # the shards are queried in parallel: each request's own context says what it asked
        context["of_index"] = params.get("IndexName") == items.CLUSTER_INDEX

    def count_keys(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if context.get("of_index"):
            self.index_keys_read += parsed["ScannedCount"]


@pytest.fixture(scope="module")
def seeded() -> Iterator[DynamoTable]:
    """800 streams with one tag each, written as the store writes them."""
    with mocked_table(new_client(), stream=False) as table:
        written = []
        for namespace in NAMESPACES:
            for n in range(STREAMS_PER_NAMESPACE):
                record = stream(f"app{n:03d}", namespace)
                pk = items.stream_pk(namespace, record.name)
                written += [items.encode_stream(record), items.encode_tag(
                    pk, record.uid, TagRecord("latest", "i1", head=event(n), head_seq=1))]
        table.batch_put(written)
        yield table


def measure(table: DynamoTable, run: Callable[[DynamoStore], Any]) -> Requests:
    """The requests `run` makes through a store of its own client."""
    client, requests = new_client(), Requests()
    client.meta.events.register("before-call.dynamodb.*", requests.count)
    client.meta.events.register("before-parameter-build.dynamodb.Query", requests.note_index)
    client.meta.events.register("after-call.dynamodb.Query", requests.count_keys)
    run(DynamoStore(client, table.name))
    return requests


def page_bound(limit: int) -> int:
    """Index keys a page may read: one past the page, and at most one batch of twice a
    shard's fair share left unread in each shard."""
    return (limit + 1) + SHARDS * 2 * -(-(limit + 1) // SHARDS)


@pytest.mark.parametrize("limit, after", [(1, None), (20, None), (20, "ns3/app050"),
                                          (100, "ns6/app099b"), (20, "ns7/app090")])
def test_a_page_of_streams_reads_the_shards_once_and_about_a_page_of_keys(
        seeded: DynamoTable, limit: int, after: str | None) -> None:
    pages = []
    requests = measure(seeded, lambda store: pages.append(store.list_all_streams(limit, after)))

    assert "Scan" not in requests.calls
    assert requests.calls["Query"] == SHARDS  # each shard's first batch was enough
    assert requests.calls["BatchGetItem"] == -(-len(pages[0].items) // 100)
    assert sum(requests.calls.values()) == requests.calls["Query"] + requests.calls[
        "BatchGetItem"]
    assert requests.index_keys_read <= page_bound(limit)
    assert requests.index_keys_read < len(NAMESPACES) * STREAMS_PER_NAMESPACE // 2


def test_a_shard_holding_more_than_its_share_is_read_again_only_as_needed() -> None:
    """The page's streams all in one shard: that shard is read a batch at a time, the
    others once, and no key past the page's end is asked for."""
    crowded = [name for name in (f"app{n:03d}" for n in range(200))
               if items.cluster_pk("a", name) == items.cluster_shards()[0]][:30]
    # a table of its own, beside the module's (moto keeps both while the module runs)
    with mocked_table(new_client(), "crowded", stream=False) as table:
        table.batch_put([items.encode_stream(stream(name, "a")) for name in crowded]
                        + [items.encode_stream(stream(f"app{n}", "b")) for n in range(30)])
        limit = 10
        pages = []
        requests = measure(table, lambda store: pages.append(store.list_all_streams(limit, None)))
    assert [r.name for r in pages[0].items] == crowded[:limit]
    batch = 2 * -(-(limit + 1) // SHARDS)
    assert requests.calls["Query"] == SHARDS - 1 + -(-(limit + 1) // batch)
    assert requests.index_keys_read <= page_bound(limit)


def test_a_page_of_the_service_lists_costs_its_streams_and_the_shards(
        seeded: DynamoTable) -> None:
    limit = 20
    streams = measure(seeded, lambda store: StreamService(store).list_all(
        limit, "ns2/app010", lambda labels: True))
    # the index, the page's stream items, then each stream's tags' range: a stream item is
    # read once, by the page
    assert streams.calls == Counter(Query=SHARDS + limit, BatchGetItem=1)

    tags = measure(seeded, lambda store: StreamTagService(store).list_all(
        limit, "ns2/app010:latest"))
    # one tag a stream: a page of streams, and the next page's first to know there is more
    assert "Scan" not in tags.calls
    # GetItem: each tag's image, and the stream item of the resumed stream, the one stream
    # not read by a page
    assert tags.calls["BatchGetItem"] == 2 and tags.calls["GetItem"] == limit + 1
    assert tags.calls["Query"] == 1 + SHARDS + limit + SHARDS + 1  # the resumed stream first
    assert tags.index_keys_read <= 2 * page_bound(limit)


def test_a_page_of_a_namespace_reads_each_stream_item_once(seeded: DynamoTable) -> None:
    limit = 20
    streams = measure(seeded, lambda store: StreamService(store).list(
        "ns4", limit, "app010", lambda labels: True))
    # GSI1 holds whole stream items: one Query of it for the page, then each stream's
    # tags' range; no stream item is read again
    assert streams.calls == Counter(Query=1 + limit)

    tags = measure(seeded, lambda store: StreamTagService(store).list_tags(
        "ns4", limit, "app010:latest"))
    # the resumed stream (its stream item and tags), a page of streams with a tag each,
    # and the next page's first, to know there is more; each tag's image
    assert tags.calls == Counter(GetItem=1 + limit, Query=1 + 1 + limit + 1 + 1)
