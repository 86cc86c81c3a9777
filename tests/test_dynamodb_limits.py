"""DynamoDB's limits, met before anything is written: 400 KB an item, 100 actions and 4 MB a
transaction. A change over them is TooLarge and leaves the table as it was."""
from __future__ import annotations

import pytest

from chalicelib.domain.errors import Invalid, TooLarge
from chalicelib.domain.records import TagRecord
from chalicelib.resources.stream import ImageStream, ImageStreamMapping, ImageStreamTag
from chalicelib.services.actor import SERVICE
from chalicelib.services.ports import ImageRef
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService
from testbed.dynamodb import DynamoTable

from .contract.builders import (
    NS,
    cleaned_up,
    create,
    digest,
    event,
    history,
    image,
    pushed,
    stream,
    update,
)

# Two bytes each: validation refuses annotations over 256 KiB counted in bytes, and the
# store refuses any item it would store over 350 KB.
WIDE = "é"


def test_an_oversized_tag_is_refused_and_nothing_is_written(dynamodb: DynamoTable) -> None:
    store = dynamodb.store()
    StreamService(store).create(SERVICE, NS, ImageStream.model_validate({"metadata": {"name": "app"}}))
    before = dynamodb.items()
    body = ImageStreamTag.model_validate({"tag": {
        "from": {"kind": "DockerImage", "name": "quay.io/team/app:1"}, "reference": True,
        "annotations": {"notes": WIDE * 200_000}}})
    with pytest.raises(Invalid, match="tag.annotations: Too long"):
        StreamTagService(store).put(SERVICE, NS, "app:big", body, create_only=False)
    # Past validation (a store used directly), the store's own guard holds.
    oversized = TagRecord(name="big", incarnation="1", spec=body.tag.model_copy(
        update={"name": "big"}))
    with pytest.raises(TooLarge, match=r'tag "big" would be stored as 4\d{5} bytes'):
        update(store, store.get_stream(NS, "app"), put_tags=[oversized])
    assert dynamodb.items() == before


def test_an_oversized_stream_is_refused_before_its_partition_is_touched(
        dynamodb: DynamoTable) -> None:
    store = dynamodb.store()
    body = ImageStream.model_validate({"metadata": {
        "name": "app", "annotations": {"notes": WIDE * 200_000}}})
    with pytest.raises(Invalid, match="metadata.annotations: Too long"):
        StreamService(store).create(SERVICE, NS, body)
    with pytest.raises(TooLarge, match=r'image stream "team/app" would be stored as'):
        create(store, stream(annotations={"notes": WIDE * 200_000}))
    assert dynamodb.items() == []


def test_an_oversized_image_is_refused(dynamodb: DynamoTable) -> None:
    store = dynamodb.store()
    StreamService(store).create(SERVICE, NS, ImageStream.model_validate({"metadata": {"name": "app"}}))
    before = dynamodb.items()
    huge = image(1)
    huge.metadata.annotations = {"notes": "x" * 400_000}
    with pytest.raises(TooLarge, match=f'image "{digest(1)}" would be stored as'):
        store.put_image(huge)
    mapping = ImageStreamMapping.model_validate({
        "metadata": {"name": "app"}, "tag": "latest",
        "image": {"dockerImageReference": f"registry.test/team/app@{digest(2)}",
                  "metadata": {"annotations": {"notes": WIDE * 200_000}}}})
    with pytest.raises(TooLarge, match=f"image {digest(2)} metadata is 4\\d{{5}} bytes"):
        StreamTagService(store).map(SERVICE, NS, mapping)
    assert dynamodb.items() == before


def test_a_change_over_100_writes_is_refused_whole(dynamodb: DynamoTable) -> None:
    store = dynamodb.store()
    tags = [{"name": f"v{n}", "from": {"kind": "DockerImage", "name": f"quay.io/team/app:{n}"},
             "reference": True} for n in range(60)]  # a tag and an event each
    body = ImageStream.model_validate({"metadata": {"name": "app"}, "spec": {"tags": tags}})
    with pytest.raises(TooLarge, match="this change to 60 tags needs 121 writes and a change "
                       "may make at most 100; apply it in smaller steps"):
        StreamService(store).create(SERVICE, NS, body)
    assert dynamodb.items() == []


def test_a_change_over_4_mb_is_refused_whole(dynamodb: DynamoTable) -> None:
    store = dynamodb.store()
    record = create(store, stream())
    before = dynamodb.items()
    spec = ImageStreamTag.model_validate({"tag": {"annotations": {"notes": "x" * 300_000}}}).tag
    big = [TagRecord(name=f"t{n}", incarnation="i", spec=spec) for n in range(15)]
    with pytest.raises(TooLarge, match=r"this change would write \d+ bytes and a change may "
                       "write at most 4194304"):
        update(store, record, put_tags=big)
    assert dynamodb.items() == before


def test_image_counts_that_do_not_fit_are_applied_after_the_commit(
        dynamodb: DynamoTable) -> None:
    store = dynamodb.store()
    many = {digest(n): (1, f"r@{n}") for n in range(90)}
    record = update(store, create(store, stream()), image_refs=dict(list(many.items())[:45]))
    record = update(store, record, image_refs=dict(list(many.items())[45:]))
    # 80 increments fill the transaction; of the 90 decrements, 20 fit and 70 come after
    fresh = {digest(n): (1, f"r@{n}") for n in range(100, 180)}
    update(store, record, image_refs={**fresh, **{d: (-1, ref) for d, (_, ref) in many.items()}})
    assert store.find_images(NS, "app", "sha256:", 500) == [
        ImageRef(d, ref, 1) for d, (_, ref) in sorted(fresh.items())]


def test_a_deleted_tag_with_a_long_history_leaves_no_items(dynamodb: DynamoTable) -> None:
    store = dynamodb.store()
    tag, writes = pushed(TagRecord(name="latest", incarnation="i1"), *map(event, range(150)))
    record = create(store, stream())
    for start in range(0, 150, 50):  # at most 100 writes a change
        record = update(store, record, put_tags=[tag], history=writes[start:start + 50])
    assert len(history(store, tag, page=500)) == 150
    update(store, record, delete_tags=[tag])
    cleaned_up(store)
    assert [item["SK"]["S"] for item in dynamodb.items()] == ["#"]
