"""moto's DynamoDB with the cost of a request bounded by what it names, as in DynamoDB.

moto 5.2 answers a Query of a table by sorting every item of the table, then skipping
those before ExclusiveStartKey one comparison at a time; and a TransactWriteItems backs up
the whole table (stream records included) once per action, so that it can put the copy
back if an action fails. A tag move on a table of a thousand items takes a second, and a
table of 200,000 items is out of reach. Two changes put that right, with the same answers:

- a Query of the table (not of an index) is handed only its partition's items past
  ExclusiveStartKey, in key order; moto's conditions, filters, limits, 1 MB pages and
  projections run unchanged over them;
- a transaction saves only the items it names and the length of the table's stream, and a
  failed one restores those; the table object stays the same, so a reader's shard iterator
  keeps seeing new records after a rollback.

Both are correct only while one DynamoDB request runs at a time: the emulator's server
(local.aws_server) holds a lock around each, the benchmarks run on one thread.
`install()` applies them for good (the emulator), `patched()` for a while (bench/).
"""
from __future__ import annotations

import bisect
import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamShard, Table

_MOTO_QUERY = Table.query
_MOTO_TRANSACT_WRITE_ITEMS = DynamoDBBackend.transact_write_items


class _Journal:
    """The items a transaction names, as they were before it, and its tables' stream lengths."""

    def __init__(self, backend: DynamoDBBackend, transact_items: list[dict[str, Any]]):
        self.items: list[tuple[Table, DynamoType, DynamoType | None, Item | None]] = []
        self.streams: dict[int, tuple[StreamShard, int]] = {}
        for action in transact_items:
            _, op = next(iter(action.items()))
            table = backend.tables.get(op.get("TableName"))
            key = op.get("Item", op.get("Key")) or {}
            if table is None or table.hash_key_attr not in key or (
                    table.range_key_attr is not None and table.range_key_attr not in key):
                continue  # moto refuses the action before writing anything for it
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = (DynamoType(key[table.range_key_attr])
                         if table.range_key_attr is not None else None)
            current = table.get_item(hash_key, range_key)
            self.items.append((table, hash_key, range_key, copy.deepcopy(current)))
            if table.stream_shard is not None:
                self.streams.setdefault(id(table), (table.stream_shard,
                                                    len(table.stream_shard.items)))

    def restore(self) -> None:
        for table, hash_key, range_key, item in reversed(self.items):
            if range_key is None:
                if item is None:
                    table.items.pop(hash_key, None)
                else:  # without a range key, the Item itself (as moto's put_item stores it)
                    table.items[hash_key] = item  # type: ignore[assignment]  # moto's typing
            elif item is None:
                table.items[hash_key].pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item
        for shard, length in self.streams.values():
            del shard.items[length:]  # the records of writes that are undone


class _CopyExceptTables:
    """moto.dynamodb.models' `copy` module, except that a Table is not deep-copied: its only
    copies are the transaction backups that _Journal replaces."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Any:
    journal = _Journal(self, transact_items)
    try:
        return _MOTO_TRANSACT_WRITE_ITEMS(self, transact_items)
    except BaseException:
        journal.restore()
        raise


def _query(self: Table, hash_key: DynamoType | None, range_comparison: str | None,
           range_objs: list[DynamoType], limit: int, exclusive_start_key: dict[str, Any],
           scan_index_forward: bool, projection_expressions: list[list[str]] | None,
           index_name: str | None = None, *args: Any, **kwargs: Any
           ) -> tuple[list[Item], int, dict[str, Any] | None]:
    def moto() -> tuple[list[Item], int, dict[str, Any] | None]:
        return _MOTO_QUERY(self, hash_key, range_comparison, range_objs, limit,
                           exclusive_start_key, scan_index_forward, projection_expressions,
                           index_name, *args, **kwargs)

    if index_name is not None or hash_key is None or self.range_key_attr is None:
        return moto()
    if self.range_key_type != "S":
        partition = sorted((self.items.get(hash_key) or {}).values(),
                           key=lambda item: item.range_key)
        with mock.patch.object(self, "all_items", lambda: partition):
            return moto()
    # String keys sort as Python strings, as moto compares them; sorting by the plain
    # string, and handing moto only the keys the condition can match, keeps a Query of a
    # partition of 200,000 items to a fraction of a second.
    partition = sorted((self.items.get(hash_key) or {}).values(),
                       key=lambda item: item.range_key.value)
    keys = [item.range_key.value for item in partition]
    low, high, exact = _key_range(keys, range_comparison, [obj.value for obj in range_objs])
    if exclusive_start_key:
        if DynamoType(exclusive_start_key[self.hash_key_attr]) != hash_key:
            return moto()
        start = exclusive_start_key[self.range_key_attr]["S"]
        # moto skips the start key itself and everything before it in the read order
        if scan_index_forward:
            low = max(low, bisect.bisect_right(keys, start))
        else:
            high = min(high, bisect.bisect_left(keys, start))
    narrowed = partition[low:max(low, high)]
    # Every key left meets the condition: moto's page ends at `limit` of them (a filter
    # expression is applied after, as DynamoDB does), so it needs one more, to see that
    # there are more, and no others. Legacy QueryFilter counts otherwise: it gets them all.
    if exact and limit and not _legacy_filter(kwargs):
        narrowed = narrowed[:limit + 1] if scan_index_forward else narrowed[-(limit + 1):]
    with mock.patch.object(self, "all_items", lambda: narrowed):
        return moto()


# A key condition expression's operators, as moto passes them on, by the names KeyConditions use.
_OPERATORS = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}


def _legacy_filter(kwargs: dict[str, Any]) -> bool:
    """Whether moto was given QueryFilter conditions (keyword arguments of its own)."""
    known = {"hash_key_conditions", "range_key_conditions"}
    return any(name not in known for name in kwargs)


def _key_range(keys: list[str], comparison: str | None, values: list[Any]
               ) -> tuple[int, int, bool]:
    """The slice of the sorted `keys` that can meet the key condition (moto checks it
    again), and whether every key in it does; all of them for a condition this does not
    know."""
    if comparison is None:
        return 0, len(keys), True
    if not values or not all(isinstance(v, str) for v in values):
        return 0, len(keys), False
    comparison = _OPERATORS.get(comparison, comparison.upper())
    first = values[0]
    if comparison == "BEGINS_WITH":
        low = bisect.bisect_left(keys, first)
        high = low
        while high < len(keys) and keys[high].startswith(first):
            high += 1
        return low, high, True
    if comparison == "BETWEEN" and len(values) == 2:
        return bisect.bisect_left(keys, first), bisect.bisect_right(keys, values[1]), True
    bounds = {"EQ": (bisect.bisect_left(keys, first), bisect.bisect_right(keys, first)),
              "LT": (0, bisect.bisect_left(keys, first)),
              "LE": (0, bisect.bisect_right(keys, first)),
              "GT": (bisect.bisect_right(keys, first), len(keys)),
              "GE": (bisect.bisect_left(keys, first), len(keys))}.get(comparison)
    return (*bounds, True) if bounds is not None else (0, len(keys), False)


def install() -> None:
    """Apply both changes for the rest of the process."""
    dynamodb_models.copy = _CopyExceptTables()  # type: ignore[assignment]
    Table.query = _query  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]


@contextmanager
def patched() -> Iterator[None]:
    """Apply both changes inside the block only."""
    with mock.patch.object(dynamodb_models, "copy", _CopyExceptTables()), \
            mock.patch.object(Table, "query", _query), \
            mock.patch.object(DynamoDBBackend, "transact_write_items", _transact_write_items):
        yield
