"""The publish ledger in the table: which tag-change messages are out already.

One small item per published message: PK `PUBLISHED#<eventId>`, SK `PUBLISHED`, and
`ExpiresAt` (epoch seconds), the table's TTL attribute (infra/table.json). No other key
of the table starts with `PUBLISHED#` (dynamodb_items.py has the rest of the layout), and
the table's stream records of these items are no tag writes (table_stream.py ignores them).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import ServiceUnavailable

LEDGER_PREFIX = "PUBLISHED#"
LEDGER_SK = "PUBLISHED"
EXPIRES_AT = "ExpiresAt"
# The stream keeps a record 24 hours, so Lambda can deliver it again for at most that long;
# TTL deletes an expired item within days, and until then it still counts as published.
KEEP_SECONDS = 2 * 24 * 3600
GET_KEYS = 100  # BatchGetItem's limit
PUT_ITEMS = 25  # BatchWriteItem's limit
ATTEMPTS = 5


def ledger_key(event_id: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": LEDGER_PREFIX + event_id}, "SK": {"S": LEDGER_SK}}


class DynamoPublishLedger:
    def __init__(self, client: Any, table: str, clock: Callable[[], float] = time.time,
                 backoff: float = 0.05):
        """`client` is a boto3 DynamoDB client, created once per process by the caller."""
        self._client = client
        self._table = table
        self._clock = clock
        self._backoff = backoff

    def published(self, event_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        unique = list(dict.fromkeys(event_ids))
        for start in range(0, len(unique), GET_KEYS):
            keys = [ledger_key(event_id) for event_id in unique[start:start + GET_KEYS]]
            # Strongly consistent: the entries a redelivery looks for were written moments ago.
            request = {self._table: {"Keys": keys, "ConsistentRead": True,
                                     "ProjectionExpression": "PK"}}
            for attempt in range(ATTEMPTS):
                reply = self._request("batch_get_item", request)
                found |= {item["PK"]["S"][len(LEDGER_PREFIX):]
                          for item in reply["Responses"].get(self._table, [])}
                request = reply.get("UnprocessedKeys") or {}
                if not request:
                    break
                self._pause(attempt)
            else:
                raise ServiceUnavailable("the publish ledger is busy; retry shortly")
        return found

    def record(self, event_ids: Sequence[str]) -> None:
        expires = {"N": str(int(self._clock()) + KEEP_SECONDS)}
        unique = list(dict.fromkeys(event_ids))
        for start in range(0, len(unique), PUT_ITEMS):
            request = {self._table: [{"PutRequest": {"Item": {**ledger_key(event_id),
                                                              EXPIRES_AT: expires}}}
                                     for event_id in unique[start:start + PUT_ITEMS]]}
            for attempt in range(ATTEMPTS):
                request = self._request("batch_write_item", request).get(
                    "UnprocessedItems") or {}
                if not request:
                    break
                self._pause(attempt)
            else:
                raise ServiceUnavailable("the publish ledger is busy; retry shortly")

    def _request(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return getattr(self._client, operation)(RequestItems=request)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise ServiceUnavailable(f"the publish ledger refused {operation}: {code}") from exc
        except BotoCoreError as exc:  # its text may name the endpoint: chained, not quoted
            raise ServiceUnavailable("the publish ledger cannot be reached") from exc

    def _pause(self, attempt: int) -> None:
        """DynamoDB returns unprocessed keys when throttled: back off before asking again."""
        if attempt + 1 < ATTEMPTS:
            time.sleep(self._backoff * 2 ** attempt)
