"""History under the keys this version reads, for tables written before (dynamodb_items).

Tables from before kept each event at `T#<tag>#H#<incarnation>#<seq>`, in the tags' range,
and tag items without their recent events; this version reads history at
`H#<tag>#<incarnation>#<seq>` and a stream's status from its tag items. Until this runs, a
stream shows each older tag's head alone and its history pages lack what came before the
deployment. `python -m chalicelib.backfill` runs it (step `history`) once every function
runs this version (an older one still writes the old keys), and `make run` on a restored
snapshot.

Each stream partition is done whole: every legacy event is moved (the put of its new key,
conditioned on that key being free, and the delete of the old one, conditioned on it still
being there, in one transaction), then each tag item gets its newest events, conditioned
on the tag's head and recent events being those read. Run twice, or concurrently with
itself or with commits, it changes nothing done already and loses no write: an event a
commit wrote at the new key meanwhile (an in-place update of the head) is newer and stays,
and a tag a commit moved is read again.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from ..domain.history import RECENT_EVENTS, newest
from . import dynamodb_items as items
from .dynamodb_cluster_backfill import BackfillPage, scan_pages
from .dynamodb_errors import CHECK_FAILED, cancellation_reasons, error_code

# A move is a put and a delete: fifty fill a transaction of 100 actions.
MOVE_BATCH = items.MAX_TRANSACTION_ITEMS // 2
# A tag whose head moves this many times while its recent events are filled is left as
# it is (it shows what its commits wrote); running the step again fills it.
FILL_ATTEMPTS = 5
CONDITION_FAILED = "ConditionalCheckFailed"


def backfill_history(client: Any, table: str, start: items.Item | None = None,
                     page_size: int | None = None) -> Iterator[BackfillPage]:
    """Move the history of the streams on each Scan page of stream items and fill their
    tags' recent events, from `start` (a previous page's `resume_after`) or the first;
    each page counts the events moved and the tags filled."""
    params: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "SK = :stream AND begins_with(PK, :streams)",
        "ProjectionExpression": "PK, SK",
        "ExpressionAttributeValues": {":stream": {"S": items.STREAM_SK},
                                      ":streams": {"S": items.STREAM_PARTITION_PREFIX}},
    }
    return scan_pages(client, params, lambda item: migrate_stream(client, table, item["PK"]["S"]),
                      start, page_size)


def migrate_stream(client: Any, table: str, pk: str) -> int:
    """Move the partition's legacy history and fill its tags' recent events; the items
    written (events moved, tags filled)."""
    moved = 0
    for page in _tag_range(client, table, pk):
        legacy = [(item, items.history_sk(*owner)) for item in page
                  if (owner := items.legacy_history_owner(item["SK"]["S"]))]
        for start in range(0, len(legacy), MOVE_BATCH):
            moved += _move(client, table, legacy[start:start + MOVE_BATCH])
    stream = client.get_item(TableName=table, Key=items.key(pk, items.STREAM_SK),
                             ConsistentRead=True).get("Item")
    if stream is None:
        return moved  # deleted meanwhile: its cleanup clears the partition
    filled = 0
    for page in _tag_range(client, table, pk):
        for item in page:
            if items.is_tag_sk(item["SK"]["S"]) and item["uid"] == stream["uid"]:
                filled += _fill_recent(client, table, item)
    return moved + filled


def _tag_range(client: Any, table: str, pk: str) -> Iterator[list[items.Item]]:
    """The partition's `T#` range, a Query page at a time (the legacy history is in it)."""
    params: dict[str, Any] = {
        "TableName": table, "ConsistentRead": True,
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :tags)",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":tags": {"S": items.TAG_PREFIX}}}
    while True:
        response = client.query(**params)
        yield response["Items"]
        if "LastEvaluatedKey" not in response:
            return
        params["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _move(client: Any, table: str, events: list[tuple[items.Item, str]]) -> int:
    """Move these legacy events to their new sort keys, all at once; the number moved. An
    event whose new key is taken (a commit rewrote it since) only loses its old item; one
    whose old item is gone (moved by another run) is left out."""
    pending = [(event, new_sk, True) for event, new_sk in events]
    while pending:
        actions = []
        for event, new_sk, put in pending:
            if put:
                actions.append({"Put": {
                    "TableName": table, "Item": {**event, "SK": {"S": new_sk}},
                    "ConditionExpression": "attribute_not_exists(PK)"}})
            actions.append({"Delete": {
                "TableName": table, "Key": items.key(event["PK"]["S"], event["SK"]["S"]),
                "ConditionExpression": "attribute_exists(PK)"}})
        try:
            client.transact_write_items(TransactItems=actions)
            return len(pending)
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            if CONDITION_FAILED not in reasons or set(reasons) - {CONDITION_FAILED, "None"}:
                raise
        remaining = []
        position = 0
        for event, new_sk, put in pending:
            taken = put and reasons[position] == CONDITION_FAILED
            position += put
            if reasons[position] != CONDITION_FAILED:  # the old item is still there
                remaining.append((event, new_sk, put and not taken))
            position += 1
        pending = remaining
    return 0


def _fill_recent(client: Any, table: str, item: items.Item) -> int:
    """Give the tag item its newest events from its history; 1 if it was written, 0 if it
    had them already (or has no image, or kept moving)."""
    pk = item["PK"]["S"]
    for _ in range(FILL_ATTEMPTS):
        tag = items.decode_tag(item)
        if tag.head is None:
            return 0
        found = client.query(
            TableName=table, ConsistentRead=True, ScanIndexForward=False, Limit=RECENT_EVENTS,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {
                "S": items.history_prefix(tag.name, tag.incarnation)}})["Items"]
        # The head is the newest event of the tag's life; a history without it (a write
        # of the version before cut short) is not the tag's, and the head stays alone.
        if not found or found[0]["SK"]["S"] != items.history_sk(
                tag.name, tag.incarnation, tag.head_seq):
            return 0
        recent = newest(tuple(items.decode_event(event) for event in found))
        if recent == tag.recent or recent[0] != tag.head:
            return 0
        as_read = "#seq = :seq AND #incarnation = :incarnation AND " + (
            "#recent = :old" if "recent" in item else "attribute_not_exists(#recent)")
        try:
            client.update_item(
                TableName=table, Key=items.key(pk, item["SK"]["S"]),
                UpdateExpression="SET #recent = :recent", ConditionExpression=as_read,
                ExpressionAttributeNames={"#seq": "headSeq", "#incarnation": "incarnation",
                                          "#recent": "recent"},
                ExpressionAttributeValues={
                    ":seq": item["headSeq"], ":incarnation": item["incarnation"],
                    ":recent": items.encode_recent(recent),
                    **({":old": item["recent"]} if "recent" in item else {})})
            return 1
        except ClientError as exc:
            if error_code(exc) != CHECK_FAILED:
                raise
        item = client.get_item(TableName=table, Key=items.key(pk, item["SK"]["S"]),
                               ConsistentRead=True).get("Item")
        if item is None:
            return 0  # deleted meanwhile
    return 0
