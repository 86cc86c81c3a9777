"""A PATCH request's body applied to a resource's JSON, for each patch type kubectl sends."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...domain.errors import BadRequest, UnsupportedMediaType
from ..merge_patch import merge_patch
from .json_patch import PatchNotApplicable, apply_json_patch
from .strategic_merge import strategic_merge_patch

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
PATCH_MEDIA_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH)

__all__ = ["JSON_PATCH", "MERGE_PATCH", "PATCH_MEDIA_TYPES", "STRATEGIC_MERGE_PATCH",
           "PatchNotApplicable", "apply_patch"]


def apply_patch(document: dict, patch: Any, media_type: str,
                merge_keys: Mapping[str, str]) -> dict:
    """`document` with `patch` applied as its media type (without parameters) says.

    `merge_keys` maps the dotted path of each list of objects that a strategic merge patch
    merges by key, such as "spec.tags", to that key, such as "name"; the other patch types
    do not read it. `document` is left as it is."""
    if media_type == MERGE_PATCH:
        if not isinstance(patch, dict):
            raise BadRequest("a merge patch must be a JSON object")
        return merge_patch(document, patch)
    if media_type == STRATEGIC_MERGE_PATCH:
        return strategic_merge_patch(document, patch, merge_keys)
    if media_type == JSON_PATCH:
        return apply_json_patch(document, patch)
    raise UnsupportedMediaType("the body of the request was in an unknown format - accepted "
                               f"media types include: {', '.join(PATCH_MEDIA_TYPES)}")
