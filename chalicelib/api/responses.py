"""Keeping a stream's answer inside what a Lambda response can carry."""
from __future__ import annotations

import json

from ..services.views import OMITTED_ANNOTATION

# Lambda caps a synchronous response at 6 MB; leave room for headers and encoding.
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
TRUNCATED_ANNOTATION = OMITTED_ANNOTATION


def _size(body: dict) -> int:
    return len(json.dumps(body, separators=(",", ":")))


def fit_stream(body: dict, limit: int = MAX_RESPONSE_BYTES) -> dict:
    """Return the stream whole if it fits; else keep the newest events of every tag.

    Every tag keeps items[0] (the current image). Older events are dropped evenly until the
    body fits, and the annotation says how many were left out, with those the status left
    out already (services/views.py). Nothing is deleted: the
    events stay stored, and a stream small enough to fit is always returned whole.
    """
    if _size(body) <= limit:
        return body
    tags = (body.get("status") or {}).get("tags") or []
    full = [list(tag.get("items") or []) for tag in tags]
    low, high = 1, max((len(items) for items in full), default=1)
    while low < high:  # the largest per-tag depth that fits
        depth = (low + high + 1) // 2
        for tag, items in zip(tags, full, strict=True):
            tag["items"] = items[:depth]
        if _size(body) <= limit:
            low = depth
        else:
            high = depth - 1
    for tag, items in zip(tags, full, strict=True):
        tag["items"] = items[:low]
    omitted = sum(len(items) - min(len(items), low) for items in full)
    annotations = body.setdefault("metadata", {}).setdefault("annotations", {})
    earlier = int(annotations.get(TRUNCATED_ANNOTATION, 0))
    annotations[TRUNCATED_ANNOTATION] = str(earlier + omitted)
    return body
