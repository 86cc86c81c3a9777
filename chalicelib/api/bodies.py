"""Reading request bodies: size, media type, JSON, kind and apiVersion."""
from __future__ import annotations

import json
from typing import Any, Optional, TypeVar

from pydantic import BaseModel

from ..domain.errors import BadRequest, TooLarge, UnsupportedMediaType
from ..resources.meta import ACCEPTED_API_VERSIONS, API_VERSION
from ..resources.parse import parse_model

MAX_BODY_BYTES = 1024 * 1024
JSON_TYPES = ("application/json", "*/*", "")
MERGE_PATCH = "application/merge-patch+json"
M = TypeVar("M", bound=BaseModel)


def media_type(headers: dict) -> str:
    value = headers.get("content-type") or headers.get("Content-Type") or ""
    return value.split(";")[0].strip().lower()


def read_json(raw: Optional[bytes], headers: dict, accepted: tuple[str, ...] = JSON_TYPES) -> Any:
    body = raw or b""
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge(f"the request body is {len(body)} bytes; at most {MAX_BODY_BYTES} "
                       "bytes are accepted")
    kind = media_type(headers)
    if kind not in accepted:
        supported = ", ".join(a for a in accepted if a and a != "*/*")
        raise UnsupportedMediaType(f'the body of the request was in an unknown format - accepted '
                                   f'media types include: {supported}')
    if not body.strip():
        raise BadRequest("the request body is empty; a JSON object is required")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from exc


def read_object(model: type[M], raw: Optional[bytes], headers: dict, kind: str,
                resource: str, name: str = "") -> M:
    """A JSON body of the given kind and apiVersion as `model`."""
    data = read_json(raw, headers)
    if not isinstance(data, dict):
        raise BadRequest(f"the request body must be a JSON object of kind {kind}")
    sent_kind = data.get("kind")
    if sent_kind is not None and sent_kind != kind:
        raise BadRequest(f'kind "{sent_kind}" does not match the expected kind "{kind}" of '
                         f'this endpoint')
    version = data.get("apiVersion")
    if version is not None and version not in ACCEPTED_API_VERSIONS:
        raise BadRequest(f'apiVersion "{version}" is not served here; use "{API_VERSION}"')
    data = {k: v for k, v in data.items() if k not in ("kind", "apiVersion")}
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("metadata must be a JSON object")
    label = name or (metadata or {}).get("name") or ""
    return parse_model(model, data, resource, str(label))
