"""What a tag operation costs in DynamoDB requests does not depend on how many tags the
stream has: every read of a tag goes to its own keys, never over the whole partition."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any, Callable


from chalicelib.adapters import dynamodb_items as items
from chalicelib.domain.records import StreamRecord, TagRecord
from chalicelib.resources.stream import ImageStreamMapping, ImageStreamTag, TagEvent, TagReference
from chalicelib.services.stream_tags import StreamTagService
from tests.support.dynamodb import DynamoTable, mocked_table, new_client

from .contract.builders import NS, T0, digest

TAG = "latest"


def filled_stream(table: DynamoTable, tags: int) -> None:
    """Stream "app" with `tags` tags, each with one event and its image indexed, written
    directly in batches (through transactions this would take minutes in moto).

    Each tag holds a few hundred bytes, so 2,000 tags are well over the 1 MB a Query page
    returns: an operation that read the whole partition would need more requests.
    """
    record = StreamRecord(namespace=NS, name="app", uid="uid-app", created=T0, version=2)
    pk = items.stream_pk(NS, "app")
    written = [items.encode_stream(record)]
    for n in range(tags):
        name = TAG if n == 0 else f"v{n:04d}"
        event = TagEvent(created=T0 + timedelta(seconds=n), image=digest(n),
                         docker_image_reference=f"registry.test/team/app@{digest(n)}",
                         generation=1)
        spec = TagReference.model_validate({
            "name": name, "generation": 1, "reference": True,
            "from": {"kind": "DockerImage", "name": event.docker_image_reference},
            "annotations": {"description": f"release {n} of the app, built by the pipeline"}})
        tag = TagRecord(name=name, incarnation="i1", spec=spec, head=event, head_seq=1)
        written += [
            items.encode_tag(pk, record.uid, tag),
            items.encode_event(pk, record.uid, name, "i1", 1, event),
            {**items.key(pk, items.index_sk(event.image)), "uid": {"S": record.uid},
             "count": {"N": "1"}, "ref": {"S": event.docker_image_reference}},
        ]
    table.batch_put(written)


def operations(service: StreamTagService) -> dict[str, Callable[[], Any]]:
    retag = ImageStreamTag.model_validate({"tag": {
        "from": {"kind": "DockerImage", "name": "quay.io/team/app:2.0"}, "reference": True}})
    mapping = ImageStreamMapping.model_validate({
        "metadata": {"name": "app"}, "tag": TAG,
        "image": {"dockerImageReference": f"registry.test/team/app@{digest(99999)}"}})
    return {
        "put": lambda: service.put(NS, f"app:{TAG}", retag, create_only=False),
        "map": lambda: service.map(NS, mapping),
        "get": lambda: service.get(NS, f"app:{TAG}"),
        "delete": lambda: service.delete(NS, f"app:{TAG}"),
    }


def requests_per_operation(tags: int) -> dict[str, Counter[str]]:
    client = new_client()  # its own client: the hook below must not outlive this test
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    with mocked_table(client, stream=False) as table:
        filled_stream(table, tags)
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
    # and they are what the design says: a handful of requests each
    assert small["get"] == Counter(GetItem=2, BatchGetItem=1)
    assert sum(small["map"].values()) <= 6 and small["map"]["TransactWriteItems"] == 1
    assert sum(small["delete"].values()) <= 7
