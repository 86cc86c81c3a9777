"""Reads of many items: every page of a Query or Scan, and BatchGetItem with its unprocessed keys
asked again. Light on imports: the authorizer's cold start reads bindings through it."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .dynamodb_errors import busy

Item = dict[str, dict[str, Any]]
BATCH_GET = 100
BATCH_ATTEMPTS = 5


def query_all(client: Any, params: dict[str, Any]) -> Iterator[Item]:
    """Every item a Query matches, page after page, read as they are consumed. Not
    botocore's paginator: loading its model adds to every cold start."""
    return _every_page(client.query, params)


def scan_all(client: Any, params: dict[str, Any]) -> Iterator[Item]:
    """Every item a Scan finds, page after page, read as they are consumed."""
    return _every_page(client.scan, params)


def _every_page(read: Callable[..., dict[str, Any]], params: dict[str, Any]) -> Iterator[Item]:
    params = dict(params)
    while True:
        response = read(**params)
        yield from response["Items"]
        if "LastEvaluatedKey" not in response:
            return
        params["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def batch_get(client: Any, table: str, keys: list[Item]) -> list[Item]:
    """The items of these keys that exist, each read strongly consistent, in no order."""
    found: list[Item] = []
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
