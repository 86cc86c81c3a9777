"""Reading many items at once: BatchGetItem, 100 keys a request, unprocessed keys asked
again a few times before the table counts as busy."""
from __future__ import annotations

from typing import Any

from . import dynamodb_items as items
from .dynamodb_errors import busy

BATCH_GET = 100
BATCH_ATTEMPTS = 5


def batch_get(client: Any, table: str, keys: list[items.Item]) -> list[items.Item]:
    """The items of these keys that exist, each read strongly consistent, in no order."""
    found: list[items.Item] = []
    for start in range(0, len(keys), BATCH_GET):
        request = {table: {"Keys": keys[start:start + BATCH_GET], "ConsistentRead": True}}
        for _ in range(BATCH_ATTEMPTS):
            response = client.batch_get_item(RequestItems=request)
            found += response["Responses"].get(table, [])
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise busy()
    return found
