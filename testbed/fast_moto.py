"""moto's DynamoDB, fast enough for a table of 200,000 items, giving the same answers.

moto 5.2 answers every Query page by sorting all the items of the table and walks each
returned attribute through a generic response serializer; a TransactWriteItems backs up the
whole table once per action. `faster_moto()` applies testbed/moto_dynamodb.py (a Query reads
its partition, a transaction saves what it names) and writes a Query answer's items, already
plain DynamoDB JSON, with json.dumps; the rest of the answer still goes through moto's
serializer. tests/test_fast_moto.py checks that the answers are the ones moto gives without.

The other helpers read and write moto's stored items, and read its table streams,
directly, so that seeding and measuring add no requests to the ones counted.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoResult

from . import moto_dynamodb

Item = dict[str, dict[str, Any]]


def _backend_table(name: str, region: str) -> Table:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(name)


def put_items(name: str, region: str, items: list[Item]) -> None:
    """Store items as BatchWriteItem would, without the round trips."""
    table = _backend_table(name, region)
    for item in items:
        table.put_item(item)


def stored_item(name: str, region: str, key: Item) -> Item | None:
    """The item under `key` as DynamoDB JSON, or None."""
    table = _backend_table(name, region)
    range_key = (DynamoType(key[table.range_key_attr])
                 if table.range_key_attr is not None else None)
    found = table.get_item(DynamoType(key[table.hash_key_attr]), range_key)
    return found.to_json()["Attributes"] if found else None


def stored_items(name: str, region: str) -> Iterator[Item]:
    for item in _backend_table(name, region).all_items():
        yield item.to_json()["Attributes"]


class StoredStream:
    """A table's stream records, oldest first, read from moto's store as GetRecords returns
    them, past moto's response serializer (which takes most of the time of reading the
    200,000 records a long cleanup writes); `read` is local.stream_reader's. The records
    are moto's own: read them, do not change them."""

    def __init__(self, name: str, region: str):
        self.name, self.region = name, region
        self.position = 0  # records read so far

    def read(self, limit: int = 100) -> list[dict[str, Any]]:
        shard = _backend_table(self.name, self.region).stream_shard
        if shard is None:
            return []
        batch = shard.items[self.position:self.position + limit]
        self.position += len(batch)
        return [record.to_json() for record in batch]


_moto_execute_result = DynamoResult.execute_result


def _execute_result(self: DynamoResult, context: Any) -> Any:
    result = self.result
    if not isinstance(result, dict) or "Items" not in result:
        return _moto_execute_result(self, context)
    try:
        items = json.dumps(result["Items"])
    except TypeError:  # binary values: moto's serializer base64-encodes them
        return _moto_execute_result(self, context)
    status, headers, body = _moto_execute_result(DynamoResult({**result, "Items": []}), context)
    rest = json.loads(body)
    rest.pop("Items")
    body = '{"Items": ' + items + (", " + json.dumps(rest)[1:] if rest else "}")
    return status, headers, body


@contextmanager
def faster_moto() -> Iterator[None]:
    with moto_dynamodb.patched(), \
            mock.patch.object(DynamoResult, "execute_result", _execute_result):
        yield
