"""The namespaces' change logs in the table.

Per namespace, partition `CHANGES#<ns>`: a counter item (SK `#`, `position`: the newest
change's) and one item per change (SK `C#<position, 20 digits>`, with `ExpiresAt`, the
table's TTL attribute). Appending is one transaction that raises the counter from the
value read and puts the changes under the positions that follow: writers racing on a
namespace take turns, and a reader never sees a position before the ones below it.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from ..domain.changes import KEPT_SECONDS, RECENT_CHANGES, Change, LoggedChange, too_old
from ..domain.errors import Expired
from .dynamodb_errors import busy, cancellation_reasons, translated
from .dynamodb_items import MAX_TRANSACTION_ITEMS

Item = dict[str, dict[str, Any]]
CHANGES_PREFIX = "CHANGES#"
COUNTER_SK = "#"
CHANGE_PREFIX = "C#"
POSITION_DIGITS = 20
EXPIRES_AT = "ExpiresAt"
ATTEMPTS = 16  # turns lost to other writers of the namespace before giving up (a 503)


def _pk(namespace: str) -> dict[str, str]:
    return {"S": CHANGES_PREFIX + namespace}


def _sk(position: int) -> dict[str, str]:
    return {"S": f"{CHANGE_PREFIX}{position:0{POSITION_DIGITS}d}"}


def _logged(item: Item) -> LoggedChange:
    tag = item.get("Tag", {}).get("S")
    return LoggedChange(
        position=int(item["SK"]["S"][len(CHANGE_PREFIX):]),
        change=Change(stream=item["Stream"]["S"], tag=tag, type=item["Type"]["S"],
                      event_id=item.get("EventId", {}).get("S", "")))


class DynamoChangeLog:
    def __init__(self, client: Any, table: str, clock: Callable[[], float] = time.time,
                 backoff: float = 0.02):
        """`client` is a botocore DynamoDB client, created once per process by the caller."""
        self._client = client
        self._table = table
        self._clock = clock
        self._backoff = backoff

    @translated
    def append(self, namespace: str, changes: Sequence[Change]) -> None:
        pending = list(changes)
        lost = 0
        while pending:
            newest = self._newest(namespace)
            recent = self._recent_event_ids(namespace, len(pending) + RECENT_CHANGES)
            pending = [change for change in pending
                       if not change.event_id or change.event_id not in recent]
            batch = pending[:MAX_TRANSACTION_ITEMS - 1]
            if not batch:
                return
            try:
                self._client.transact_write_items(
                    TransactItems=[self._raise_counter(namespace, newest, len(batch)),
                                   *self._puts(namespace, newest, batch)])
            except ClientError as exc:
                if cancellation_reasons(exc)[:1] != ["ConditionalCheckFailed"] and \
                        "TransactionConflict" not in cancellation_reasons(exc):
                    raise
                lost += 1
                if lost == ATTEMPTS:
                    raise busy() from exc
                time.sleep(self._backoff * random.uniform(1, 2 ** lost))
                continue
            pending = pending[len(batch):]

    @translated
    def newest(self, namespace: str) -> int:
        return self._newest(namespace)

    @translated
    def after(self, namespace: str, position: int, limit: int) -> list[LoggedChange]:
        """Usually one Query, from `position` itself: finding it (or the change after it)
        proves nothing after it was dropped. Otherwise the counter is read, then the log
        again: a change appended between the first Query and the counter's read is then
        found, so only what was there before the second look and is gone is Expired."""
        later = self._after(namespace, position, limit)
        if later is not None:
            return later
        newest = self._newest(namespace)
        later = self._after(namespace, position, limit)
        if later is not None:
            return later
        if newest == position:
            return []  # nothing new; in a quiet namespace the newest change may have expired
        raise Expired(too_old(position, newest))

    def _after(self, namespace: str, position: int, limit: int
               ) -> list[LoggedChange] | None:
        """The changes after `position` when the log shows none was dropped; else None."""
        reply = self._client.query(
            TableName=self._table, ConsistentRead=True, Limit=limit + 1,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :first AND :last",
            ExpressionAttributeValues={":pk": _pk(namespace), ":first": _sk(max(position, 1)),
                                       ":last": _sk(10 ** POSITION_DIGITS - 1)})
        now = self._clock()
        # TTL deletes an expired item within days, not at once: until then it is dropped here.
        kept = [_logged(item) for item in reply.get("Items", [])
                if int(item[EXPIRES_AT]["N"]) >= now]
        if kept and kept[0].position == position:
            return kept[1:limit + 1]  # the change the watcher saw last is still there
        if kept and kept[0].position == position + 1:
            return kept[:limit]
        return None

    def _newest(self, namespace: str) -> int:
        item = self._client.get_item(
            TableName=self._table, ConsistentRead=True,
            Key={"PK": _pk(namespace), "SK": {"S": COUNTER_SK}}).get("Item")
        return int(item["position"]["N"]) if item else 0

    def _recent_event_ids(self, namespace: str, count: int) -> set[str]:
        reply = self._client.query(
            TableName=self._table, ConsistentRead=True, ScanIndexForward=False,
            Limit=count, ProjectionExpression="EventId",
            KeyConditionExpression="PK = :pk AND begins_with(SK, :changes)",
            ExpressionAttributeValues={":pk": _pk(namespace),
                                       ":changes": {"S": CHANGE_PREFIX}})
        return {item["EventId"]["S"] for item in reply.get("Items", []) if "EventId" in item}

    def _raise_counter(self, namespace: str, newest: int, count: int) -> dict[str, Any]:
        condition: dict[str, Any] = (
            {"ConditionExpression": "#position = :newest",
             "ExpressionAttributeValues": {":newest": {"N": str(newest)},
                                           ":raised": {"N": str(newest + count)}}}
            if newest else
            {"ConditionExpression": "attribute_not_exists(PK)",
             "ExpressionAttributeValues": {":raised": {"N": str(newest + count)}}})
        return {"Update": {
            "TableName": self._table, "Key": {"PK": _pk(namespace), "SK": {"S": COUNTER_SK}},
            "UpdateExpression": "SET #position = :raised",
            "ExpressionAttributeNames": {"#position": "position"}, **condition}}

    def _puts(self, namespace: str, newest: int, changes: list[Change]) -> list[dict[str, Any]]:
        expires = {"N": str(int(self._clock()) + KEPT_SECONDS)}
        return [{"Put": {"TableName": self._table, "Item": _item(
            namespace, newest + offset, change, expires)}}
            for offset, change in enumerate(changes, start=1)]


def _item(namespace: str, position: int, change: Change, expires: dict[str, str]) -> Item:
    item: Item = {"PK": _pk(namespace), "SK": _sk(position), "Stream": {"S": change.stream},
                  "Type": {"S": change.type}, EXPIRES_AT: expires}
    if change.tag is not None:
        item["Tag"] = {"S": change.tag}
    if change.event_id:
        item["EventId"] = {"S": change.event_id}
    return item
