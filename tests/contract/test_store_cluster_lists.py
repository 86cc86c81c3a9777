"""Lists across namespaces on every store: streams in `<namespace>/<name>` order, page by
page over more streams than the DynamoDB index has shards, with continue keys that stay
right while streams come and go."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib.services.ports import StreamStore, stream_key

from .builders import create, stream

# "team-b" sorts before "team" ('-' before '/'), as Kubernetes orders `<namespace>/<name>`.
NAMESPACES = ["team", "ops", "team-b"]
STREAMS = [(namespace, f"s{n:02d}") for namespace in NAMESPACES for n in range(9)]
EXPECTED = sorted(STREAMS, key=lambda s: stream_key(*s))
LIMITS = [1, 2, 3, 5, 8, 26, 27, 28]


def every_page(read: Callable[[int, str | None], tuple[list, str | None]], limit: int,
               after: str | None = None) -> list[tuple[list, str | None]]:
    pages = []
    while True:
        found, after = read(limit, after)
        pages.append((found, after))
        if after is None:
            return pages


def listed(store: StreamStore) -> Callable[[int, str | None], tuple[list, str | None]]:
    def read(limit: int, after: str | None) -> tuple[list, str | None]:
        page = store.list_all_streams(limit, after)
        return [(r.namespace, r.name) for r in page.items], page.after
    return read


@pytest.mark.parametrize("limit", LIMITS)
def test_every_namespace_is_listed_in_key_order_page_by_page(store: StreamStore,
                                                              limit: int) -> None:
    for namespace, name in reversed(STREAMS):
        create(store, stream(name, namespace))

    pages = every_page(listed(store), limit)
    assert [s for found, _ in pages for s in found] == EXPECTED
    assert all(len(found) == limit for found, _ in pages[:-1])
    # each continue key is the last stream of its page; the last page has none
    assert [after for _, after in pages[:-1]] == [stream_key(*found[-1]) for found, _ in
                                                 pages[:-1]]
    assert len(pages) == -(-len(STREAMS) // limit)


def test_the_records_are_the_streams_as_stored(store: StreamStore) -> None:
    first = create(store, stream("app", "team", labels={"tier": "web"}))
    second = create(store, stream("app", "ops"))
    assert store.list_all_streams(10, None).items == [second, first]


def test_a_continue_key_need_not_name_a_stream(store: StreamStore) -> None:
    for namespace, name in STREAMS:
        create(store, stream(name, namespace))
    read = listed(store)
    assert read(2, "ops/s04a") == ([("ops", "s05"), ("ops", "s06")], "ops/s06")
    assert read(2, "ops0") == ([("team-b", "s00"), ("team-b", "s01")], "team-b/s01")
    assert read(2, "team/s08") == ([], None)
    assert read(2, "zz") == ([], None)
    assert store.list_all_streams(0, None).items == []


def test_deleted_streams_leave_and_new_ones_join_between_pages(store: StreamStore) -> None:
    records = {s: create(store, stream(s[1], s[0])) for s in STREAMS}
    read = listed(store)
    first, after = read(5, None)
    assert first == EXPECTED[:5] and after == stream_key(*EXPECTED[4])

    deleted = EXPECTED[5]
    store.delete_stream(*deleted, records[deleted].version)
    create(store, stream("s04b", EXPECTED[4][0]))  # after the continue key: listed next
    create(store, stream("a", "aaa"))  # before it: not on later pages
    rest = [s for found, _ in every_page(read, 5, after) for s in found]
    assert rest == [(EXPECTED[4][0], "s04b")] + EXPECTED[6:]
    assert ("aaa", "a") in [s for found, _ in every_page(read, 50) for s in found]
