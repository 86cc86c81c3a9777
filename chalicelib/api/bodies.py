"""Reading request bodies: size, media type, JSON, kind and apiVersion."""
from __future__ import annotations

import json
import math
import re
from typing import Any, TypeVar

from pydantic import BaseModel

from ..domain.errors import BadRequest, TooLarge, UnsupportedMediaType
from ..resources.meta import ACCEPTED_API_VERSIONS, API_VERSION
from ..resources.parse import parse_model

MAX_BODY_BYTES = 1024 * 1024
JSON_TYPES = ("application/json", "*/*", "")
MERGE_PATCH = "application/merge-patch+json"
M = TypeVar("M", bound=BaseModel)
# No resource nests this deep; a deeper body could not even be written back as JSON.
MAX_JSON_DEPTH = 100
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def media_type(headers: dict) -> str:
    value = headers.get("content-type") or headers.get("Content-Type") or ""
    return value.split(";")[0].strip().lower()


def read_json(raw: bytes | None, headers: dict, accepted: tuple[str, ...] = JSON_TYPES) -> Any:
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
        value = json.loads(body, parse_constant=_not_a_number, parse_float=_finite,
                           parse_int=_int64)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise _too_deep() from exc
    return _as_go_decodes(value, 0)


# JSON as Go's encoding/json reads it, so what is stored can be answered back as JSON and
# read by Go clients: no NaN or Infinity, numbers within float64 and int64.
def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _int64(text: str) -> int:
    value = int(text)
    if not -2 ** 63 <= value < 2 ** 63:
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _as_go_decodes(value: Any, depth: int) -> Any:
    """A lone UTF-16 surrogate (`"\\ud800"`) becomes U+FFFD, as Go decodes it; such a string
    cannot be encoded as UTF-8 to be stored or answered."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, (dict, list)) and depth >= MAX_JSON_DEPTH:
        raise _too_deep()
    if isinstance(value, dict):
        return {_LONE_SURROGATE.sub("\ufffd", key): _as_go_decodes(item, depth + 1)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_as_go_decodes(item, depth + 1) for item in value]
    return value


def _too_deep() -> BadRequest:
    return BadRequest(f"the request body is nested more than {MAX_JSON_DEPTH} levels deep")


def served_api_versions(model: type[BaseModel]) -> tuple[str, ...]:
    """The apiVersions a body of `model` may carry: its own group's, the one its answers
    carry; image.openshift.io kinds also take the legacy `v1` of OpenShift 3 manifests."""
    own = model.model_fields["api_version"].default
    return ACCEPTED_API_VERSIONS if own == API_VERSION else (own,)


def read_object(model: type[M], raw: bytes | None, headers: dict, kind: str,
                resource: str, name: str = "") -> M:
    """A JSON body of the given kind and of an apiVersion `model` is served in, as `model`."""
    data = read_json(raw, headers)
    if not isinstance(data, dict):
        raise BadRequest(f"the request body must be a JSON object of kind {kind}")
    sent_kind = data.get("kind")
    if sent_kind is not None and sent_kind != kind:
        raise BadRequest(f'kind "{sent_kind}" does not match the expected kind "{kind}" of '
                         f'this endpoint')
    version = data.get("apiVersion")
    served = served_api_versions(model)
    if version is not None and version not in served:
        raise BadRequest(f'apiVersion "{version}" is not served here; use "{served[0]}"')
    data = {k: v for k, v in data.items() if k not in ("kind", "apiVersion")}
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("metadata must be a JSON object")
    label = name or (metadata or {}).get("name") or ""
    return parse_model(model, data, resource, str(label))
