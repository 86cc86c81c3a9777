"""JSON patch (RFC 6902) over JSON pointers (RFC 6901).

Written here rather than taken from the jsonpatch package: a failure names its operation,
path and the first location that is missing, a test tells true from 1 as JSON does, and
the Lambda package needs nothing more.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from ...domain.errors import ApiError, BadRequest, TooLarge

# The Kubernetes apiserver's bound on the operations of one JSON patch, answered with 413.
MAX_OPERATIONS = 10000
OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")  # RFC 6901: decimal, no leading zeros
_ESCAPE = re.compile(r"~(?![01])")  # "~" stands only in "~0" and "~1"


class PatchNotApplicable(ApiError):
    """A well-formed JSON patch whose operation fails on the object. The Kubernetes apiserver
    answers it 422 Invalid; a malformed patch is a BadRequest."""

    reason, code = "Invalid", 422


class _Failed(Exception):
    """Why an operation fails on the document; its caller names the operation."""


@dataclass(frozen=True)
class _Operation:
    label: str  # how messages name the operation: "json patch operation 2 (replace /a)"
    op: str
    path: list[str]
    source: list[str] | None  # the "from" of move and copy
    value: Any

    def apply(self, document: Any) -> Any:
        try:
            return _APPLY[self.op](document, self)
        except _Failed as failure:
            raise PatchNotApplicable(f"{self.label}: {failure}") from None


def apply_json_patch(document: dict, operations: Any) -> dict:
    """`document` with each operation applied in turn; `document` itself is left as it is."""
    if not isinstance(operations, list):
        raise BadRequest("a JSON patch must be a list of operations")
    if len(operations) > MAX_OPERATIONS:
        raise TooLarge(f"The allowed maximum operations in a JSON patch is {MAX_OPERATIONS}, "
                       f"got {len(operations)}")
    # Every operation is read before any applies: a malformed patch fails as such.
    parsed = [_parse(index, operation) for index, operation in enumerate(operations)]
    result: Any = copy.deepcopy(document)
    for operation in parsed:
        result = operation.apply(result)
    if not isinstance(result, dict):
        raise PatchNotApplicable("the patched document is not a JSON object")
    return result


def _parse(index: int, operation: Any) -> _Operation:
    label = f"json patch operation {index}"
    if not isinstance(operation, dict):
        raise BadRequest(f"{label}: an operation must be a JSON object")
    op = operation.get("op")
    if op not in OPERATIONS:
        raise BadRequest(f'{label}: "op" must be one of {", ".join(OPERATIONS)}')
    path = operation.get("path")
    if not isinstance(path, str):
        raise BadRequest(f'{label} ({op}): "path" must be a JSON pointer string')
    source = operation.get("from")
    if op in ("move", "copy"):
        if not isinstance(source, str):
            raise BadRequest(f'{label} ({op} to {_shown(path)}): "from" must be a JSON pointer '
                             "string")
        label = f"{label} ({op} {_shown(source)} to {_shown(path)})"
    else:
        label = f"{label} ({op} {_shown(path)})"
    if op in ("add", "replace", "test") and "value" not in operation:
        raise BadRequest(f'{label}: the operation has no "value"')
    return _Operation(label, op, _tokens(path, label),
                      _tokens(source, label)
                      if op in ("move", "copy") and isinstance(source, str) else None,
                      operation.get("value"))


def _shown(pointer: str) -> str:
    return pointer or '""'  # the whole document


def _tokens(pointer: str, label: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise BadRequest(f'{label}: "{pointer}" is not a JSON pointer: it must be empty or '
                         'start with "/"')
    if _ESCAPE.search(pointer):
        raise BadRequest(f'{label}: "{pointer}" is not a JSON pointer: "~" must be followed '
                         'by 0 or 1')
    # "~1" before "~0", so that "~01" reads as "~1" and not as "/".
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def _pointer(tokens: list[str]) -> str:
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens)


def _resolve(document: Any, tokens: list[str]) -> Any:
    """The value at `tokens`, which must exist."""
    value = document
    for depth, token in enumerate(tokens):
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list):
            value = value[_index(value, tokens[:depth + 1], appending=False)]
        else:
            raise _Failed(f"{_pointer(tokens[:depth + 1])} not found")
    return value


def _container(document: Any, tokens: list[str]) -> Any:
    """The object or array that holds the last of `tokens`, which must exist."""
    container = _resolve(document, tokens[:-1])
    if not isinstance(container, (dict, list)):
        raise _Failed(f"{_pointer(tokens[:-1]) or 'the document'} is neither an object nor an "
                      "array")
    return container


def _index(array: list, tokens: list[str], appending: bool) -> int:
    """The array index the last of `tokens` names; past the end only when `appending`."""
    token = tokens[-1]
    if token == "-":
        if appending:
            return len(array)
        raise _Failed(f'{_pointer(tokens)} not found: "-" names the place after the last '
                      "element")
    if not _ARRAY_INDEX.fullmatch(token):
        raise _Failed(f'{_pointer(tokens)} not found: "{token}" is not an array index')
    index = int(token)
    if index < len(array) or (appending and index == len(array)):
        return index
    if appending:
        raise _Failed(f"{_pointer(tokens)}: index {index} is past the end of the array "
                      f"({len(array)} elements)")
    raise _Failed(f"{_pointer(tokens)} not found")


def _add(document: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    container = _container(document, tokens)
    if isinstance(container, dict):
        container[tokens[-1]] = value
    else:
        container.insert(_index(container, tokens, appending=True), value)
    return document


def _remove(document: Any, tokens: list[str]) -> Any:
    """Removes the value at `tokens` and returns it."""
    if not tokens:
        raise _Failed("the whole document cannot be removed")
    _resolve(document, tokens)
    container = _container(document, tokens)
    if isinstance(container, dict):
        return container.pop(tokens[-1])
    return container.pop(_index(container, tokens, appending=False))


def _apply_add(document: Any, operation: _Operation) -> Any:
    return _add(document, operation.path, operation.value)


def _apply_remove(document: Any, operation: _Operation) -> Any:
    _remove(document, operation.path)
    return document


def _apply_replace(document: Any, operation: _Operation) -> Any:
    tokens = operation.path
    if not tokens:
        return operation.value
    _resolve(document, tokens)
    container = _container(document, tokens)
    if isinstance(container, dict):
        container[tokens[-1]] = operation.value
    else:
        container[_index(container, tokens, appending=False)] = operation.value
    return document


def _apply_move(document: Any, operation: _Operation) -> Any:
    source, target = operation.source or [], operation.path
    if target[:len(source)] == source and len(target) > len(source):
        raise _Failed(f"{_pointer(source)} cannot be moved into its own child "
                      f"{_pointer(target)}")
    if not source:  # a move of the whole document onto itself
        return document
    return _add(document, target, _remove(document, source))


def _apply_copy(document: Any, operation: _Operation) -> Any:
    value = copy.deepcopy(_resolve(document, operation.source or []))
    return _add(document, operation.path, value)


def _apply_test(document: Any, operation: _Operation) -> Any:
    if not _json_equal(_resolve(document, operation.path), operation.value):
        raise _Failed(f"test failed: the value at {_pointer(operation.path) or 'the root'} "
                      "is not the value given")
    return document


_APPLY = {"add": _apply_add, "remove": _apply_remove, "replace": _apply_replace,
          "move": _apply_move, "copy": _apply_copy, "test": _apply_test}


def _json_equal(left: Any, right: Any) -> bool:
    """RFC 6902 equality: the same JSON type and value. Python's == finds true equal to 1."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[key], right[key])
                                                   for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_json_equal, left, right))
    return type(left) is type(right) and left == right
