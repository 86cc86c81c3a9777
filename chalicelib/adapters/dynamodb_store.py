"""The store contract on one DynamoDB table; the item layout is in dynamodb_items.

A stream's other items count only while its stream item exists with the same uid. Deleting
a stream removes the stream item (and marks it for cleanup) at once, and the table stream's
consumer clears its other items after (dynamodb_cleanup): creating the stream again before
that clears them first, and reads compare each item's uid with the stream item's
(load_stream, get_tag and find_images read it; a list page's loads compare with the one
the list read), so leftovers of a deleted stream are never read back.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import ConcurrentUpdate
from ..domain.history import shown_events
from ..domain.records import StreamRecord, StreamSnapshot, TagRecord
from ..logs import about
from ..resources.image import Image
from ..services.ports import ChangeSet, DueEntry, HistoryPage, ImageRef, Page
from ..services.stream_write import STREAMS
from . import dynamodb_cleanup as cleanup
from . import dynamodb_cluster as cluster
from . import dynamodb_items as items
from . import dynamodb_schedule as schedule
from .dynamodb_errors import (
    CHECK_FAILED,
    cancellation_reasons,
    conditionally,
    error_code,
    translated,
)
from .dynamodb_reads import batch_get, query_all

log = logging.getLogger(__name__)

# Index items are small: a few dozen cost one read unit, the same as two, and reading them
# skips past entries whose count fell to zero.
INDEX_PAGE = 50

class DynamoStore:
    def __init__(self, client: Any, table: str) -> None:
        """`client` is a DynamoDB client (botocore's), created once per process by the caller."""
        self._client = client
        self._table = table

    # -- reads

    @translated
    def get_stream(self, namespace: str, name: str) -> StreamRecord | None:
        item = self._get(items.key(items.stream_pk(namespace, name), items.STREAM_SK))
        return items.decode_stream(item) if item else None

    @translated
    def get_tag(self, namespace: str, name: str, tag: str) -> TagRecord | None:
        record = self._stream_and_tag(namespace, name, tag)[1]
        return items.decode_tag(record) if record else None

    @translated
    def get_stream_tag(self, namespace: str, name: str, tag: str
                       ) -> tuple[StreamRecord | None, TagRecord | None]:
        stream, record = self._stream_and_tag(namespace, name, tag)
        return (items.decode_stream(stream) if stream else None,
                items.decode_tag(record) if record else None)

    def _stream_and_tag(self, namespace: str, name: str, tag: str
                        ) -> tuple[items.Item | None, items.Item | None]:
        """The stream item and its tag's, in one read; a tag item of an earlier stream of
        this name is a leftover, not this stream's tag."""
        pk = items.stream_pk(namespace, name)
        sk = items.tag_sk(tag)
        found = {item["SK"]["S"]: item for item in
                 self._batch_get([items.key(pk, items.STREAM_SK), items.key(pk, sk)])}
        stream, record = found.get(items.STREAM_SK), found.get(sk)
        if stream is None or record is None or record["uid"] != stream["uid"]:
            return stream, None
        return stream, record

    @translated
    def get_followers(self, namespace: str, name: str, tag: str) -> list[str]:
        # Only read while planning a write, whose commit is conditioned on the stream item.
        prefix = items.follower_prefix(tag)
        found = self._query_prefix(items.stream_pk(namespace, name), prefix, keys_only=True)
        return [item["SK"]["S"][len(prefix):] for item in found]

    @translated
    def history_page(self, namespace: str, name: str, tag: TagRecord, limit: int,
                     before: int | None) -> HistoryPage:
        if limit <= 0:
            return HistoryPage([], None)
        pk = items.stream_pk(namespace, name)
        prefix = items.history_prefix(tag.name, tag.incarnation)
        upper = items.history_sk(tag.name, tag.incarnation, before) if before is not None else (
            prefix + "~")  # "~" sorts after every digit
        # Above what an image prune cut: its cleanup may not have removed it yet.
        lower = (items.history_sk(tag.name, tag.incarnation, tag.pruned_to + 1)
                 if tag.pruned_to else prefix)
        # One event past the page: DynamoDB's LastEvaluatedKey cannot tell a full last page
        # from one with more after it, and the last page has no continue key.
        response = self._client.query(
            TableName=self._table, ConsistentRead=True, ScanIndexForward=False,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :low AND :high",
            ExpressionAttributeValues={":pk": {"S": pk}, ":low": {"S": lower},
                                       ":high": {"S": upper}},
            Limit=limit + 1)
        found = [item for item in response["Items"] if item["SK"]["S"] != upper]
        page = found[:limit]
        more = len(found) > limit or ("LastEvaluatedKey" in response and len(found) == limit)
        last = int(page[-1]["SK"]["S"][len(prefix):]) if page else None
        return HistoryPage([items.decode_event(item) for item in page], last if more else None)

    @translated
    def load_stream(self, namespace: str, name: str) -> StreamSnapshot | None:
        stream = self._get(items.key(items.stream_pk(namespace, name), items.STREAM_SK))
        return self._with_tags(items.decode_stream(stream)) if stream else None

    @translated
    def load_listed_stream(self, record: StreamRecord) -> StreamSnapshot:
        return self._with_tags(record)

    def _with_tags(self, record: StreamRecord) -> StreamSnapshot:
        pk = items.stream_pk(record.namespace, record.name)
        # The tags' range only: history and the image index sort before it, but a table not
        # yet backfilled keeps its history in this range.
        found = self._query_prefix(pk, items.TAG_PREFIX)
        tags = {tag.name: tag for tag in (
            items.decode_tag(item) for item in found
            if items.is_tag_sk(item["SK"]["S"]) and item["uid"]["S"] == record.uid)}
        return StreamSnapshot(
            record, tags, {name: list(shown_events(tag)) for name, tag in tags.items()},
            unmigrated_history=any(items.legacy_history_owner(item["SK"]["S"]) for item in found))

    @translated
    def list_streams(self, namespace: str, limit: int, after: str | None) -> Page:
        return self._gsi1_page(items.namespace_gsi1pk(namespace), limit, after,
                               lambda name: items.stream_pk(namespace, name), items.decode_stream)

    @translated
    def list_all_streams(self, limit: int, after: str | None) -> Page:
        keys, after = cluster.page(self._client, self._table, cluster.STREAMS, limit, after)
        # The index is read eventually consistent: a stream deleted just before has no item.
        found = {item["PK"]["S"]: item for item in self._batch_get(
            [items.key(k["PK"]["S"], k["SK"]["S"]) for k in keys])}
        return Page([items.decode_stream(found[k["PK"]["S"]]) for k in keys
                     if k["PK"]["S"] in found], after)

    @translated
    def find_images(self, namespace: str, name: str, prefix: str, limit: int) -> list[ImageRef]:
        pk = items.stream_pk(namespace, name)
        params = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "FilterExpression": "#count > :zero", "ExpressionAttributeNames": {"#count": "count"},
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":zero": {"N": "0"},
                                          ":prefix": {"S": items.index_sk(prefix)}},
            "Limit": max(limit, INDEX_PAGE),
        }
        found: list[items.Item] = []
        for item in self._query(params):
            found.append(item)
            if len(found) == limit:
                break
        stream = self._get(items.key(pk, items.STREAM_SK)) if found else None
        return [ImageRef(item["SK"]["S"][len(items.INDEX_PREFIX):], item["ref"]["S"],
                         int(item["count"]["N"]))
                for item in found if stream and item["uid"] == stream["uid"]]

    @translated
    def get_image(self, digest: str) -> Image | None:
        item = self._get(items.key(items.image_pk(digest), items.STREAM_SK))
        return items.decode_image(item) if item else None

    @translated
    def list_images(self, limit: int, after: str | None) -> Page:
        # GSI1 holds the whole image item: the index's shards are all a page reads.
        found, after = cluster.page(self._client, self._table, cluster.IMAGES, limit, after)
        return Page([items.decode_image(item) for item in found], after)

    @translated
    def due_entries(self, before: datetime, limit: int) -> list[DueEntry]:
        return schedule.due_entries(self._client, self._table, before, limit)

    # -- writes

    @translated
    def reschedule(self, namespace: str, name: str, tag: TagRecord,
                   due: datetime | None) -> bool:
        return schedule.reschedule(self._client, self._table, namespace, name, tag, due)

    @translated
    def reschedule_repository(self, namespace: str, name: str, read: datetime | None,
                              due: datetime | None) -> bool:
        return schedule.reschedule_repository(self._client, self._table, namespace, name, read,
                                              due)

    @translated
    def commit(self, changes: ChangeSet) -> None:
        record = changes.stream
        plan = items.plan_commit(changes)  # raises TooLarge before anything is written
        pk = items.stream_pk(record.namespace, record.name)
        if changes.expected_version is None:
            self._clear(pk)
        try:
            self._client.transact_write_items(
                TransactItems=[action.request(self._table) for action in plan.transaction])
        except ClientError as exc:
            reasons = cancellation_reasons(exc)  # action 0 puts the stream item
            if reasons[:1] == ["ConditionalCheckFailed"] or "TransactionConflict" in reasons:
                raise ConcurrentUpdate.of(STREAMS, record.name) from exc
            raise
        try:
            for action in plan.later:
                self._update_if_current(action)
        except (ClientError, BotoCoreError):
            # The change is committed; what is left is image counts that stay too high.
            # Failing now would only make the caller retry a change that happened.
            about(log, record.namespace, record.name).warning(
                "cleanup after a commit to %s did not finish", pk, exc_info=True)

    @translated
    def delete_stream(self, namespace: str, name: str, expected_version: int) -> None:
        pk = items.stream_pk(namespace, name)
        mark = items.encode_stream_cleanup(pk, expected_version)
        try:
            self._client.transact_write_items(TransactItems=[
                {"Delete": {"TableName": self._table, "Key": items.key(pk, items.STREAM_SK),
                            "ConditionExpression": "#version = :version",
                            "ExpressionAttributeNames": {"#version": "version"},
                            "ExpressionAttributeValues": {
                                ":version": {"N": str(expected_version)}}}},
                {"Put": {"TableName": self._table, "Item": mark}}])
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            if reasons[:1] == ["ConditionalCheckFailed"] or "TransactionConflict" in reasons:
                raise ConcurrentUpdate.of(STREAMS, name) from exc
            raise

    @translated
    def clean_up(self, mark: tuple[str, str]) -> bool:
        return cleanup.step(self._client, self._table, items.key(*mark))

    @translated
    def put_image(self, image: Image) -> bool:
        item = items.encode_image(image)
        items.check_size(item)
        return conditionally(lambda: self._client.put_item(
            TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(PK)"))

    @translated
    def delete_image(self, digest: str) -> bool:
        return conditionally(lambda: self._client.delete_item(
            TableName=self._table, Key=items.key(items.image_pk(digest), items.STREAM_SK),
            ConditionExpression="attribute_exists(PK)"))

    # -- helpers

    def _get(self, key: items.Item) -> items.Item | None:
        return self._client.get_item(TableName=self._table, Key=key,
                                     ConsistentRead=True).get("Item")

    def _batch_get(self, keys: list[items.Item]) -> list[items.Item]:
        return batch_get(self._client, self._table, keys)

    def _query(self, params: dict[str, Any]) -> Iterator[items.Item]:
        """Every item a Query matches, page after page; strongly consistent on the table."""
        params = {"TableName": self._table, **params}
        if "IndexName" not in params:
            params["ConsistentRead"] = True
        return query_all(self._client, params)

    def _query_prefix(self, pk: str, prefix: str | None = None, *, keys_only: bool = False
                      ) -> list[items.Item]:
        """The partition's items whose sort key starts with `prefix` (all without one)."""
        params: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
        }
        if prefix is not None:
            params["KeyConditionExpression"] += " AND begins_with(SK, :prefix)"
            params["ExpressionAttributeValues"][":prefix"] = {"S": prefix}
        if keys_only:
            params["ProjectionExpression"] = "PK, SK"
        return list(self._query(params))

    def _gsi1_page(self, partition: str, limit: int, after: str | None,
                   pk_of: Callable[[str], str], decode: Callable[[items.Item], Any]) -> Page:
        """Items of a GSI1 partition after `after`, ordered by GSI1SK.

        Reads one item past the page: DynamoDB's LastEvaluatedKey cannot tell a full last
        page from one with more after it, and the contract says the last page has no `after`.
        """
        if limit <= 0:
            return Page([], None)
        params: dict[str, Any] = {
            "IndexName": items.GSI1, "KeyConditionExpression": "GSI1PK = :partition",
            "ExpressionAttributeValues": {":partition": {"S": partition}}, "Limit": limit + 1,
        }
        if after is not None:
            params["ExclusiveStartKey"] = {
                "GSI1PK": {"S": partition}, "GSI1SK": {"S": after},
                **items.key(pk_of(after), items.STREAM_SK)}
        found: list[items.Item] = []
        for item in self._query(params):
            found.append(item)
            if len(found) > limit:
                break
        chosen = found[:limit]
        more = len(found) > limit
        return Page([decode(item) for item in chosen], chosen[-1]["GSI1SK"]["S"] if more else None)

    def _update_if_current(self, action: items.Write) -> None:
        """Apply an image-index update left out of a full transaction, unless the stream's
        life it belongs to has ended (so it never creates an item in a newer stream)."""
        request = action.request(self._table)["Update"]
        request["ConditionExpression"] = "#uid = :uid"
        try:
            self._client.update_item(**request)
        except ClientError as exc:
            if error_code(exc) != CHECK_FAILED:
                raise

    def _clear(self, pk: str) -> None:
        """Delete what a deleted stream left in its partition, before its name is created
        again (the cleanup it marked may not have run yet)."""
        while not cleanup.clear_partition(self._client, self._table, pk):
            pass
