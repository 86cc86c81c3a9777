"""moto's DynamoDB, fast enough for a table of 200,000 items, giving the same answers.

moto 5.2 answers every Query page by sorting all the items of the table, skipping those
before ExclusiveStartKey one comparison at a time, then walking each returned attribute
through a generic response serializer: one page of a 200,000-item table takes about a
minute, and reading a stream of 100,000 events would take hours. TransactWriteItems
backs up the whole table once per action, so a transaction of 100 actions copies it 100
times. `faster_moto()` changes three things, for the benchmark only, and
tests/test_fast_moto.py checks that the answers are the ones moto gives without it:

- a Query on the table (not an index) hands moto's own Query only the partition's items
  past ExclusiveStartKey, in key order; moto's filters, limits, 1 MB pages and projections
  run unchanged over them;
- a Query answer's items, already plain DynamoDB JSON, are written with json.dumps; the
  rest of the answer still goes through moto's serializer;
- a transaction backs each table up once (all of its copies were of the same state:
  moto takes them before it writes anything).

The other helpers read and write moto's stored items directly, so that seeding and
measuring add no requests to the ones counted.
"""
from __future__ import annotations

import bisect
import copy
import json
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any, Iterator, Optional
from unittest import mock

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoResult

Item = dict[str, dict[str, Any]]


def _backend_table(name: str, region: str) -> Table:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(name)


def put_items(name: str, region: str, items: list[Item]) -> None:
    """Store items as BatchWriteItem would, without the round trips."""
    table = _backend_table(name, region)
    for item in items:
        table.put_item(item)


def stored_item(name: str, region: str, key: Item) -> Optional[Item]:
    """The item under `key` as DynamoDB JSON, or None."""
    table = _backend_table(name, region)
    found = table.get_item(DynamoType(key[table.hash_key_attr]),
                           DynamoType(key[table.range_key_attr]))
    return found.to_json()["Attributes"] if found else None


def stored_items(name: str, region: str) -> Iterator[Item]:
    for item in _backend_table(name, region).all_items():
        yield item.to_json()["Attributes"]


_moto_query = Table.query
_moto_execute_result = DynamoResult.execute_result
_moto_transact_write_items = DynamoDBBackend.transact_write_items


def _query(self: Table, hash_key: Optional[DynamoType], range_comparison: Optional[str],
           range_objs: list[DynamoType], limit: int, exclusive_start_key: Optional[Item],
           scan_index_forward: bool, projection_expressions: Any,
           index_name: Optional[str] = None, *args: Any, **kwargs: Any) -> Any:
    def moto() -> Any:
        return _moto_query(self, hash_key, range_comparison, range_objs, limit,
                           exclusive_start_key, scan_index_forward, projection_expressions,
                           index_name, *args, **kwargs)

    if index_name is not None or hash_key is None or self.range_key_type != "S":
        return moto()
    candidates = sorted((self.items.get(hash_key) or {}).values(),
                        key=lambda item: item.range_key.value)
    if exclusive_start_key:
        if DynamoType(exclusive_start_key[self.hash_key_attr]) != hash_key:
            return moto()
        start = exclusive_start_key[self.range_key_attr]["S"]
        keys = [item.range_key.value for item in candidates]
        # moto skips the start key itself and everything before it in the read order
        candidates = (candidates[bisect.bisect_right(keys, start):] if scan_index_forward
                      else candidates[:bisect.bisect_left(keys, start)])
    with mock.patch.object(self, "all_items", lambda: candidates):
        return moto()


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


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Any:
    backups: dict[int, Table] = {}

    def deepcopy(value: Any, memo: Optional[dict[int, Any]] = None) -> Any:
        if not isinstance(value, Table):
            return copy.deepcopy(value, memo)
        if id(value) not in backups:
            backups[id(value)] = copy.deepcopy(value, memo)
        return backups[id(value)]

    # Only moto's module sees this `copy`: it copies tables for backups and items for updates.
    with mock.patch("moto.dynamodb.models.copy", SimpleNamespace(deepcopy=deepcopy)):
        return _moto_transact_write_items(self, transact_items)


@contextmanager
def faster_moto() -> Iterator[None]:
    with mock.patch.object(Table, "query", _query), \
            mock.patch.object(DynamoResult, "execute_result", _execute_result), \
            mock.patch.object(DynamoDBBackend, "transact_write_items", _transact_write_items):
        yield
