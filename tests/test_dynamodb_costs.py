"""What a tag operation costs in DynamoDB requests does not depend on how many tags the
stream has: every read of a tag goes to its own keys, never over the whole partition."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from chalicelib.resources.stream import ImageStreamMapping, ImageStreamTag
from chalicelib.services.actor import SERVICE
from chalicelib.services.stream_tags import StreamTagService
from testbed.dynamodb import mocked_table, new_client
from testbed.stream_seed import NAMESPACE as NS
from testbed.stream_seed import REPOSITORY, event_digest, seed_stream

TAG = "latest"


def operations(service: StreamTagService) -> dict[str, Callable[[], Any]]:
    retag = ImageStreamTag.model_validate({"tag": {
        "from": {"kind": "DockerImage", "name": "quay.io/team/app:2.0"}, "reference": True}})
    mapping = ImageStreamMapping.model_validate({
        "metadata": {"name": "app"}, "tag": TAG,
        "image": {"dockerImageReference": f"{REPOSITORY}@{event_digest(TAG, 0)}"}})
    return {
        "put": lambda: service.put(SERVICE, NS, f"app:{TAG}", retag, create_only=False),
        "map": lambda: service.map(SERVICE, NS, mapping),
        "get": lambda: service.get(NS, f"app:{TAG}"),
        "delete": lambda: service.delete(SERVICE, NS, f"app:{TAG}"),
    }


def requests_per_operation(tags: int) -> dict[str, Counter[str]]:
    client = new_client()  # its own client: the hook below must not outlive this test
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    with mocked_table(client, stream=False) as table:
        # One event a tag: each holds a few hundred bytes, so 2,000 tags are well over the
        # 1 MB a Query page returns, and an operation that read the whole partition would
        # need more requests.
        seed_stream(table, tags, events_per_tag=1)
        service = StreamTagService(table.store())
        client.meta.events.register("before-call.dynamodb.*", count)
        costs = {}
        for name, run in operations(service).items():
            calls.clear()
            run()
            costs[name] = Counter(calls)
    return costs


def test_tag_operations_cost_the_same_on_a_stream_of_2000_tags() -> None:
    small, large = requests_per_operation(1), requests_per_operation(2000)
    assert large == small
    # and they are what the design says. A write reads the stream item (GetItem) to plan
    # on, then the stream and tag items together (BatchGetItem), and commits in one
    # TransactWriteItems.
    assert small["get"] == Counter(BatchGetItem=1, GetItem=1)  # stream and tag; the image
    # the put's tag moves, so its followers are read (Query); the answer reads stream and
    # tag again (a reference: no image to read)
    assert small["put"] == Counter(GetItem=1, BatchGetItem=2, Query=1, TransactWriteItems=1)
    # the stream is checked before the image is put, then the write as a put's
    assert small["map"] == Counter(GetItem=2, PutItem=1, BatchGetItem=1, Query=1,
                                   TransactWriteItems=1)
    # the tag's delete and its cleanup mark in the transaction; no history is read
    assert small["delete"] == Counter(GetItem=1, BatchGetItem=1, TransactWriteItems=1)
