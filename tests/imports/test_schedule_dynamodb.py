"""The schedule on DynamoDB: a cycle reads the Due index only, leftovers of deleted streams
are never due, and next-due or condition writes never look like a move to the publisher."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.table_stream import tag_write
from chalicelib.domain.records import TagRecord
from chalicelib.domain.tag_changes import change_type
from chalicelib.resources.stream import TagReference
from testbed.dynamodb import DynamoTable, atomic_requests, mocked_table, new_client
from testbed.oci_layout import OciLayout
from tests.contract.builders import at, stream
from tests.registry.scripted import Canned, ScriptedServer, image_routes

from .conftest import NS, Images, Stack
from .test_scheduler import scheduled


@pytest.fixture
def table() -> Iterator[DynamoTable]:
    with mocked_table(new_client(), stream=False) as created, atomic_requests():
        yield created


def test_a_cycle_reads_only_the_due_tags_from_the_index(table: DynamoTable,
                                                        images: Images) -> None:
    stack = Stack(table.store())
    source = f"{images.plain.host}/imports/oci:1.0"
    plain = {"name": "p", "from": {"kind": "DockerImage", "name": source},
             "importPolicy": {"insecure": True}}
    for n in range(3):
        stack.create(f"early{n}", *[scheduled(f"t{t}", source) for t in range(3)], plain)
    stack.clock.advance(minutes=10)
    for n in range(3):
        stack.create(f"late{n}", *[scheduled(f"t{t}", source) for t in range(3)], plain)
    calls: Counter[str] = Counter()
    read = Counter()

    def before(params: dict, model: Any, **_: Any) -> None:
        calls[model.name] += 1
        if model.name == "Query":
            assert params.get("IndexName") == items.DUE_INDEX

    def after(parsed: dict, model: Any, **_: Any) -> None:
        if model.name == "Query":
            read["items"] += len(parsed.get("Items", []))

    table.client.meta.events.register("provide-client-params.dynamodb.*", before)
    table.client.meta.events.register("after-call.dynamodb.*", after)
    try:
        report = stack.cycle(minutes=5)  # 15 minutes after the early streams
    finally:
        table.client.meta.events.unregister("provide-client-params.dynamodb.*", before)
        table.client.meta.events.unregister("after-call.dynamodb.*", after)
    assert (report.due, report.unchanged, report.sources) == (9, 9, 1)
    assert read["items"] == 9  # of 36 tags, 18 of them scheduled
    assert calls == Counter(Query=items.DUE_SHARDS, BatchGetItem=1, UpdateItem=9)


def test_tags_left_behind_by_a_deleted_stream_are_never_due(table: DynamoTable) -> None:
    """A crash while a stream's partition is cleared leaves items whose uid is not the
    stream item's (if the stream was created again): the index still holds them."""
    live = items.encode_stream(stream())
    spec = TagReference.model_validate({"name": "old", "importPolicy": {"scheduled": True},
                                        "from": {"kind": "DockerImage", "name": "x.io/a:1"}})
    leftover = items.encode_tag(live["PK"]["S"], "uid-of-an-earlier-life",
                                TagRecord(name="old", incarnation="i", spec=spec, due=at(0)))
    table.batch_put([live, leftover])
    assert table.store().due_entries(at(100), 10) == []


def _item(table: DynamoTable, stream: str, tag: str) -> dict:
    return table.client.get_item(TableName=table.name, ConsistentRead=True, Key=items.key(
        items.stream_pk(NS, stream), items.tag_sk(tag)))["Item"]


def _change(before: dict, after: dict) -> str | None:
    record = {"eventID": "e", "dynamodb": {"Keys": {"PK": after["PK"], "SK": after["SK"]},
                                           "OldImage": before, "NewImage": after}}
    write = tag_write(record)
    assert write is not None
    return change_type(write)


def test_next_due_and_condition_writes_never_move_the_head(table: DynamoTable, layout: OciLayout,
                                                          images: Images) -> None:
    routes = image_routes(layout, images.single)
    manifest = "HEAD /v2/demo/app/manifests/1.0"
    with ScriptedServer(dict(routes)) as server:
        stack = Stack(table.store(), request_seconds=1.0)
        stack.create("app", scheduled("1", f"{server.host}/demo/app:1.0"))
        first = _item(table, "app", "1")

        stack.cycle()  # unchanged: only the next-due time is written
        unchanged = _item(table, "app", "1")
        assert {k for k in first if first[k] != unchanged.get(k)} == {"DueAt"}
        assert _change(first, unchanged) is None

        server.routes[manifest] = Canned(500)
        stack.cycle()  # a failure: the condition is set, the head stays
        failed = _item(table, "app", "1")
        assert {k for k in unchanged if unchanged[k] != failed.get(k)} | (
            failed.keys() - unchanged.keys()) == {"DueAt", "conditions"}
        assert _change(unchanged, failed) is None

        server.routes[manifest] = routes[manifest]
        stack.cycle()  # recovered: the condition goes, the head still stays
        recovered = _item(table, "app", "1")
        assert "conditions" not in recovered and _change(failed, recovered) is None
