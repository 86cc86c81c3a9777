"""Strategic merge patch, as the Kubernetes apiserver applies it to these resources' fields.

Maps merge and null deletes a key, as in a JSON merge patch. A list of objects whose field
declares a merge key merges element by element: a patch element merges into the document's
element with the same key, or is appended. Other lists are replaced whole. The directives:
  - "$patch": "delete" in a list element deletes the element with its key; in a map, empties it.
  - "$patch": "replace" in a map replaces the map; in a list element, the whole list with the
    patch's other elements.
  - "$deleteFromPrimitiveList/<field>" deletes the values it lists from the list <field>.
  - "$setElementOrder/<field>" is accepted and its order not applied: a merged list keeps the
    document's order with new elements appended, since the service answers spec.tags sorted
    by name whatever order they are written in.
  - "$retainKeys" is accepted and ignored: no field of these resources has the retainKeys
    strategy, so kubectl sends it for none of them.
A malformed patch is a BadRequest, where the apiserver answers some of them 500. A value new
to the document is merged into nothing, so its nulls and directives apply too, where the
apiserver would store them as sent.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...domain.errors import BadRequest

PATCH = "$patch"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/"
SET_ELEMENT_ORDER = "$setElementOrder/"
RETAIN_KEYS = "$retainKeys"


def strategic_merge_patch(document: dict, patch: Any, merge_keys: Mapping[str, str]) -> dict:
    """`document` with `patch` merged in. `merge_keys` maps the dotted path of each list of
    objects that merges by key ("spec.tags") to that key ("name"). Neither input is changed;
    the result may share their unchanged parts."""
    if not isinstance(patch, dict):
        raise BadRequest("a strategic merge patch must be a JSON object")
    return _StrategicMerge(merge_keys).merge_map(document, patch, "")


class _StrategicMerge:
    def __init__(self, merge_keys: Mapping[str, str]):
        self.merge_keys = merge_keys

    def merge_value(self, original: Any, patch: Any, path: str) -> Any:
        """`patch` merged into `original`; a value of another kind replaces it."""
        if isinstance(patch, dict):
            return self.merge_map(original if isinstance(original, dict) else {}, patch, path)
        key = self.merge_keys.get(path)
        if isinstance(patch, list) and key is not None:
            return self.merge_list(original if isinstance(original, list) else [], patch, path,
                                   key)
        return patch

    def merge_map(self, original: dict, patch: dict, path: str) -> dict:
        if PATCH in patch:
            directive = patch[PATCH]
            if directive == "replace":
                return self.merge_map({}, {k: v for k, v in patch.items() if k != PATCH}, path)
            if directive == "delete":
                return {}
            raise BadRequest(f"{_at(path)}: {_unknown_patch_value(directive)}")
        result = dict(original)
        deletions: dict[str, list] = {}
        for key, value in patch.items():
            if key.startswith("$"):
                deleted = _deleted_values(key, value, path)
                if deleted is not None:
                    deletions[key[len(DELETE_FROM_PRIMITIVE_LIST):]] = deleted
            elif value is None:
                result.pop(key, None)
            else:
                result[key] = self.merge_value(original.get(key), value, _child(path, key))
        # After the merge, so that a list the patch also sets loses the values all the same.
        for key, deleted in deletions.items():
            if isinstance(result.get(key), list):
                result[key] = [item for item in result[key] if item not in deleted]
        return result

    def merge_list(self, original: list, patch: list, path: str, key: str) -> list:
        result = list(original)
        merged: list[dict] = []
        replace = False
        for index, element in enumerate(patch):
            if not isinstance(element, dict):
                raise BadRequest(f"{_at(path)}: element {index} is not a JSON object")
            directive = element.get(PATCH)
            if PATCH in element and directive not in ("delete", "replace"):
                raise BadRequest(f"{_at(path)}: element {index}: "
                                 f"{_unknown_patch_value(directive)}")
            if directive == "replace":
                replace = True
                continue
            if key not in element:
                raise BadRequest(f'{_at(path)}: element {index} has no merge key "{key}"')
            if directive == "delete":
                result = [item for item in result if not _has_key(item, key, element[key])]
            else:
                merged.append(element)
        if replace:
            result = []
        for element in merged:
            position = next((i for i, item in enumerate(result)
                             if _has_key(item, key, element[key])), None)
            if position is None:
                result.append(self.merge_map({}, element, path))
            else:
                result[position] = self.merge_map(result[position], element, path)
        return result


def _deleted_values(directive: str, value: Any, path: str) -> list | None:
    """The values a $deleteFromPrimitiveList directive deletes; None for the other directives,
    which change nothing here."""
    known = (directive == RETAIN_KEYS or
             any(directive.startswith(prefix) and len(directive) > len(prefix)
                 for prefix in (DELETE_FROM_PRIMITIVE_LIST, SET_ELEMENT_ORDER)))
    if not known:
        raise BadRequest(f'{_at(path)}: unknown directive "{directive}"')
    if not isinstance(value, list):
        raise BadRequest(f'{_at(path)}: "{directive}" must be a list')
    return value if directive.startswith(DELETE_FROM_PRIMITIVE_LIST) else None


def _has_key(item: Any, key: str, value: Any) -> bool:
    return isinstance(item, dict) and key in item and item[key] == value


def _unknown_patch_value(directive: Any) -> str:
    return f'"$patch" must be "delete" or "replace", not {json.dumps(directive)}'


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _at(path: str) -> str:
    return f"strategic merge patch at {path or 'the root'}"
