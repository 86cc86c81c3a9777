"""Removing what a delete left, in bounded steps, driven by cleanup marks (dynamodb_items).

A commit that deletes a tag puts a mark for that tag life (its history, and its events'
counts in the stream's image index, are to go); deleting a stream puts one for the stream
(its partition is to be cleared). The table stream brings each mark's write to the
consumer (entrypoints/table_events.py), which runs one `step`: at most STEP_TRANSACTIONS
transactions, then it rewrites the mark (its next record brings it back) or, with nothing
left, deletes it. Every write is idempotent: a step cut short by a timeout, or run again
for a redelivered record, removes only what is still there and takes each event's count
off once (the event's delete and its count's decrement are one transaction). A mark whose
records were all lost (a batch sent to the dead-letter queue) is still in the table:
`finish_all` (python -m chalicelib.backfill --step cleanup) works it off.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from . import dynamodb_items as items
from .dynamodb_cluster_backfill import BackfillPage
from .dynamodb_errors import CHECK_FAILED, cancellation_reasons, error_code
from .dynamodb_reads import scan_all

# One step's work: a few transactions of up to 100 writes, about a second, so a batch of
# marks fits a Lambda invocation; a 100,000-event history takes a few hundred steps.
STEP_TRANSACTIONS = 5
# Up to as many index decrements as events deleted share a transaction of at most 100.
HISTORY_BATCH = 50
CLEAR_BATCH = items.MAX_TRANSACTION_ITEMS - 1  # and the check that the stream is absent
CONDITION_FAILED = "ConditionalCheckFailed"


def step(client: Any, table: str, mark_key: items.Item) -> bool:
    """One bounded step of the mark's work; True when it is done (the mark is gone)."""
    mark = client.get_item(TableName=table, Key=mark_key, ConsistentRead=True).get("Item")
    if mark is None:
        return True  # done before: a record delivered again
    pk = mark["PK"]["S"][len(items.CLEANUP_PREFIX):]
    if mark["SK"]["S"] == items.STREAM_CLEANUP_SK:
        done = clear_partition(client, table, pk, STEP_TRANSACTIONS)
    elif mark["SK"]["S"].startswith(items.PRUNE_CLEANUP_PREFIX):
        done = clear_history_up_to(client, table, pk, mark["uid"]["S"], mark["tag"]["S"],
                                   mark["incarnation"]["S"], int(mark["upto"]["N"]),
                                   STEP_TRANSACTIONS)
    else:
        done = clear_history(client, table, pk, mark["uid"]["S"], mark["tag"]["S"],
                             mark["incarnation"]["S"], STEP_TRANSACTIONS)
    as_read = {"ConditionExpression": "#pass = :pass",
               "ExpressionAttributeNames": {"#pass": "pass"},
               "ExpressionAttributeValues": {":pass": mark["pass"]}}
    try:
        if done:
            # Unless rewritten meanwhile: a later life of the stream deleted again.
            client.delete_item(TableName=table, Key=mark_key, **as_read)
        else:
            client.update_item(TableName=table, Key=mark_key, UpdateExpression="ADD #pass :one",
                               **{**as_read, "ExpressionAttributeValues": {
                                   ":pass": mark["pass"], ":one": {"N": "1"}}})
    except ClientError as exc:
        if error_code(exc) != CHECK_FAILED:
            raise
        return False  # rewritten: its new record brings it back
    return done


def clear_partition(client: Any, table: str, pk: str, transactions: int | None = None) -> bool:
    """Delete the items of a stream partition whose stream item is absent, up to
    `transactions` transactions (all without); True when nothing is left to delete.

    Each transaction checks that the stream item is still absent, so it never deletes an
    item of a stream created meanwhile: creating a stream clears the partition first, which
    leaves nothing older to delete.
    """
    absent = {"ConditionCheck": {
        "TableName": table, "Key": items.key(pk, items.STREAM_SK),
        "ConditionExpression": "attribute_not_exists(PK)"}}
    done = 0
    while transactions is None or done < transactions:
        keys = client.query(TableName=table, ConsistentRead=True, Limit=CLEAR_BATCH,
                            KeyConditionExpression="PK = :pk", ProjectionExpression="PK, SK",
                            ExpressionAttributeValues={":pk": {"S": pk}})["Items"]
        if not keys or keys[0]["SK"]["S"] == items.STREAM_SK:  # "#" sorts first
            return True
        deletes = [{"Delete": {"TableName": table, "Key": k}} for k in keys]
        try:
            client.transact_write_items(TransactItems=[absent, *deletes])
        except ClientError as exc:
            if cancellation_reasons(exc)[:1] == [CONDITION_FAILED]:
                return True  # the stream exists again, and its creation cleared the rest
            raise
        done += 1
    return False


def clear_history(client: Any, table: str, pk: str, uid: str, tag: str, incarnation: str,
                  transactions: int) -> bool:
    """Delete a tag life's history, taking each event's count off the image index of the
    stream life `uid`, up to `transactions` transactions; True when none is left.

    A tag stored before the history moved, deleted before the backfill's history step
    reached it, has events at the legacy keys too (dynamodb_history_backfill): they go the
    same way, and an event the backfill moves meanwhile is found at its new key."""
    prefixes = (items.history_prefix(tag, incarnation),
                items.legacy_history_prefix(tag, incarnation))
    for _ in range(transactions):
        found = next((events for events in (_events(client, table, pk, prefix)
                                            for prefix in prefixes) if events), None)
        if found is None:
            return True
        _delete_events(client, table, pk, uid, found)
    return False


def clear_history_up_to(client: Any, table: str, pk: str, uid: str, tag: str,
                        incarnation: str, upto: int, transactions: int) -> bool:
    """Delete a tag life's events at sequence number `upto` and below (an image prune cut
    them), as clear_history does, up to `transactions` transactions; True when none is
    left. Events at the legacy keys are the backfill's to move first; a prune reads them
    never (history_page reads the new keys), and stops at a stream that has them."""
    prefix = items.history_prefix(tag, incarnation)
    for _ in range(transactions):
        found = _events(client, table, pk, prefix, items.history_sk(tag, incarnation, upto))
        if not found:
            return True
        _delete_events(client, table, pk, uid, found)
    return False


def _events(client: Any, table: str, pk: str, prefix: str, upto: str | None = None
            ) -> list[items.Item]:
    if upto is None:
        condition = "PK = :pk AND begins_with(SK, :prefix)"
        values = {":pk": {"S": pk}, ":prefix": {"S": prefix}}
    else:
        condition = "PK = :pk AND SK BETWEEN :prefix AND :upto"
        values = {":pk": {"S": pk}, ":prefix": {"S": prefix}, ":upto": {"S": upto}}
    return client.query(
        TableName=table, ConsistentRead=True, Limit=HISTORY_BATCH,
        KeyConditionExpression=condition, ProjectionExpression="PK, SK, image",
        ExpressionAttributeValues=values)["Items"]


def _delete_events(client: Any, table: str, pk: str, uid: str, events: list[items.Item]) -> None:
    """Delete these history items and decrement their images' counts, all at once. An
    event deleted meanwhile (by a step run twice, or the stream's clearing) is left out
    with its decrement; an index entry gone or of another stream life is not decremented."""
    gone_entries: set[str] = set()
    while events:
        counts = Counter(event["image"]["S"] for event in events if event["image"]["S"])
        digests = sorted(set(counts) - gone_entries)
        actions = [{"Delete": {"TableName": table, "Key": items.key(pk, event["SK"]["S"]),
                               "ConditionExpression": "attribute_exists(PK)"}}
                   for event in events]
        actions += [{"Update": {
            "TableName": table, "Key": items.key(pk, items.index_sk(digest)),
            "UpdateExpression": "ADD #count :delta", "ConditionExpression": "#uid = :uid",
            "ExpressionAttributeNames": {"#count": "count", "#uid": "uid"},
            "ExpressionAttributeValues": {":delta": {"N": str(-counts[digest])},
                                          ":uid": {"S": uid}}}} for digest in digests]
        try:
            client.transact_write_items(TransactItems=actions)
            return
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            if CONDITION_FAILED not in reasons or set(reasons) - {CONDITION_FAILED, "None"}:
                raise
        events = [event for event, reason in zip(events, reasons, strict=False)
                  if reason != CONDITION_FAILED]
        gone_entries |= {digest for digest, reason in zip(
            digests, reasons[len(actions) - len(digests):], strict=True)
            if reason == CONDITION_FAILED}


def pending_marks(client: Any, table: str) -> Iterator[items.Item]:
    """The keys of every cleanup mark in the table (a Scan: for the one-shot tool only)."""
    return scan_all(client, {
        "TableName": table, "ProjectionExpression": "PK, SK",
        "FilterExpression": "begins_with(PK, :prefix)",
        "ExpressionAttributeValues": {":prefix": {"S": items.CLEANUP_PREFIX}}})


def finish_cleanups(client: Any, table: str, start: items.Item | None = None,
                    page_size: int | None = None) -> Iterator[BackfillPage]:
    """The backfill's `cleanup` step: finish_all, as one page (a mark finished is gone, so
    a run from the start resumes it)."""
    yield BackfillPage(finish_all(client, table), None)


def finish_all(client: Any, table: str) -> int:
    """Work off every cleanup mark to its end, here and now; the marks finished."""
    finished = 0
    for mark in pending_marks(client, table):
        while not step(client, table, items.key(mark["PK"]["S"], mark["SK"]["S"])):
            pass
        finished += 1
    return finished
