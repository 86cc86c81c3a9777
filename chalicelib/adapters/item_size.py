"""The one size check every store adapter makes before it writes an object.

DynamoDB refuses an item over 400 KB with a ValidationException, which the caller would see
as a 500; a RoleBinding of 2,500 subjects did. Every adapter that writes a caller's object
sizes the item it is about to send here first, and an item that could be refused is
TooLarge (413) before anything is written. The in-memory adapters size the very same items
(they encode them with the DynamoDB adapters' own encoders), so both refuse the same
objects: an API answer does not depend on the store behind it.
"""
from __future__ import annotations

from typing import Any

from ..domain.errors import TooLarge

Item = dict[str, dict[str, Any]]
MAX_ITEM_BYTES = 350 * 1024  # DynamoDB refuses items over 400 KB; the rest is margin


def item_size(item: Item) -> int:
    """The item's size by DynamoDB's sizing rules, rounded up (numbers count a byte a digit)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    kind, data = next(iter(value.items()))
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return len(data) + 1
    if kind == "B":
        return len(data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in data.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in data)
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(len(n) + 1 for n in data)
    if kind == "BS":
        return sum(len(b) for b in data)
    return 1  # BOOL, NULL


def check_item_size(item: Item, what: str) -> int:
    """The item's size; TooLarge, naming `what` the item holds, if DynamoDB could refuse it."""
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise TooLarge(f"{what} would be stored as {size} bytes; an item may be at most "
                       f"{MAX_ITEM_BYTES} bytes")
    return size
