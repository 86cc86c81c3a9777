"""Image items are spread over IMAGES_SHARDS keys of GSI1, not one: the list across the
cluster merges the shards (and the legacy single key) in digest order, page by page,
reading about a page of items, never a Scan."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.dynamodb_store import DynamoStore
from testbed.dynamodb import DynamoTable, mocked_table, new_client
from tests.contract.builders import digest, image

SHARDS = items.IMAGES_SHARDS + 1  # and the legacy key
IMAGES = 400  # any page below reads far fewer


@dataclass
class Requests:
    calls: Counter[str] = field(default_factory=Counter)
    index_items_read: int = 0

    def count(self, event_name: str, **_: Any) -> None:
        self.calls[event_name.rsplit(".", 1)[-1]] += 1

    def note_index(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # the shards are queried in parallel: each request's own context says what it asked
        context["of_index"] = params.get("IndexName") == items.GSI1

    def count_items(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if context.get("of_index"):
            self.index_items_read += parsed["ScannedCount"]


def measure(table: DynamoTable, run: Callable[[DynamoStore], Any]) -> Requests:
    client, requests = new_client(), Requests()
    client.meta.events.register("before-call.dynamodb.*", requests.count)
    client.meta.events.register("before-parameter-build.dynamodb.Query", requests.note_index)
    client.meta.events.register("after-call.dynamodb.Query", requests.count_items)
    run(DynamoStore(client, table.name))
    return requests


def page_bound(limit: int) -> int:
    """Index items a page may read: one past the page, and at most one batch of twice a
    shard's fair share left unread in each shard."""
    return (limit + 1) + SHARDS * 2 * -(-(limit + 1) // SHARDS)


def legacy(item: dict[str, Any]) -> dict[str, Any]:
    """The item as the version before the shards wrote it."""
    return {**item, "GSI1PK": {"S": items.LEGACY_IMAGES_GSI1PK}}


def all_pages(store: DynamoStore, limit: int, after: str | None = None
              ) -> list[tuple[list[str], str | None]]:
    pages = []
    while True:
        page = store.list_images(limit, after)
        pages.append(([i.metadata.name or "" for i in page.items], page.after))
        if page.after is None:
            return pages
        after = page.after


@pytest.fixture(scope="module")
def seeded() -> Iterator[DynamoTable]:
    """400 images, one in ten still under the legacy key, written as the stores wrote them."""
    with mocked_table(new_client(), "images", stream=False) as table:
        written = [items.encode_image(image(n)) for n in range(IMAGES)]
        table.batch_put([legacy(item) if n % 10 == 0 else item
                         for n, item in enumerate(written)])
        yield table


def test_images_are_written_across_the_shards() -> None:
    with mocked_table(new_client(), "spread", stream=False) as table:
        store = table.store()
        for n in range(200):
            assert store.put_image(image(n))
        keys = {item["GSI1SK"]["S"]: item["GSI1PK"]["S"] for item in table.items()}
    assert keys == {digest(n): items.images_gsi1pk(digest(n)) for n in range(200)}
    per_shard = Counter(keys.values())
    assert set(per_shard) == set(items.image_shards())
    assert max(per_shard.values()) < 200 // items.IMAGES_SHARDS * 2  # none takes them all


@pytest.mark.parametrize("limit", [1, 7, 50, IMAGES + 1])
def test_the_list_pages_through_every_image_in_digest_order(
        seeded: DynamoTable, limit: int) -> None:
    pages = all_pages(seeded.store(), limit)
    listed = [name for names, _ in pages for name in names]
    assert listed == sorted(digest(n) for n in range(IMAGES))
    assert all(len(names) == limit and after == names[-1] for names, after in pages[:-1])
    assert pages[-1][1] is None and 0 < len(pages[-1][0]) <= limit


def test_a_continue_key_resumes_after_it_stored_or_not(seeded: DynamoTable) -> None:
    ordered = sorted(digest(n) for n in range(IMAGES))
    store = seeded.store()
    page = store.list_images(5, ordered[100])
    assert [i.metadata.name for i in page.items] == ordered[101:106]
    assert page.after == ordered[105]
    between = ordered[200] + "0"  # sorts after ordered[200], before ordered[201]
    assert [i.metadata.name for i in store.list_images(3, between).items] == ordered[201:204]
    assert store.list_images(3, ordered[-1]).items == []
    assert store.list_images(3, ordered[-2]).after is None


@pytest.mark.parametrize("limit, after", [(1, None), (20, None), (20, digest(150)),
                                          (50, digest(3)), (20, digest(IMAGES - 10))])
def test_a_page_queries_each_shard_once_and_reads_about_a_page(
        seeded: DynamoTable, limit: int, after: str | None) -> None:
    pages = []
    requests = measure(seeded, lambda store: pages.append(store.list_images(limit, after)))

    assert requests.calls == Counter(Query=SHARDS)  # no Scan, no reads of the table
    assert requests.index_items_read <= page_bound(limit)
    assert requests.index_items_read < IMAGES // 2
    assert len(pages[0].items) == min(limit, sum(digest(n) > (after or "")
                                                 for n in range(IMAGES)))


def test_a_crowded_shard_is_read_again_only_as_needed() -> None:
    """The page's images all under the legacy key (a table not yet backfilled): that key is
    read a batch at a time, the shards once."""
    with mocked_table(new_client(), "crowded", stream=False) as table:
        table.batch_put([legacy(items.encode_image(image(n))) for n in range(60)])
        limit = 40
        pages = []
        requests = measure(table, lambda store: pages.append(store.list_images(limit, None)))
    assert [i.metadata.name for i in pages[0].items] == [digest(n) for n in range(limit)]
    batch = 2 * -(-(limit + 1) // SHARDS)
    assert requests.calls["Query"] == SHARDS - 1 + -(-(limit + 1) // batch)
    assert requests.index_items_read <= page_bound(limit)
