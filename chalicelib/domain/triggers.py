"""Rules of triggers: what may be subscribed, and the filter policy that scopes it."""
from __future__ import annotations

import re

from ..resources.triggers import ImageStreamTriggerSpec
from .errors import FieldError
from .validation import invalid, not_supported, required, validate_tag_name

PROTOCOLS = ("sqs", "lambda", "https")
CHANGE_TYPES = ("Created", "Updated", "Deleted", "Held")
_ARN = {
    "sqs": re.compile(r"arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?"),
    "lambda": re.compile(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}"
                         r"(:[A-Za-z0-9$_-]+)?"),
    "https": re.compile(r"https://[^\s/$.?#][^\s]{0,2000}"),
}
_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
# SNS refuses a filter policy whose values combine in more than 150 ways (each key's values
# multiplied); namespace and imageStream have one value each, so tags times types.
MAX_FILTER_COMBINATIONS = 150


def validate_trigger_name(name: str) -> list[FieldError]:
    if not name:
        return [required("metadata.name")]
    if len(name) > 63 or not _NAME.fullmatch(name):
        return [invalid("metadata.name", name, "must be a lowercase RFC 1123 label of at most "
                                               "63 characters")]
    return []


def validate_trigger_spec(spec: ImageStreamTriggerSpec) -> list[FieldError]:
    errors: list[FieldError] = []
    for index, tag in enumerate(spec.tags or []):
        errors += validate_tag_name(tag, f"spec.tags[{index}]")
    for index, kind in enumerate(spec.types or []):
        if kind not in CHANGE_TYPES:
            errors.append(not_supported(f"spec.types[{index}]", kind, CHANGE_TYPES))
    # A key left out of the policy (no tags, no types) matches any value: one way.
    combinations = max(len(set(spec.tags or [])), 1) * max(len(set(spec.types or [])), 1)
    if combinations > MAX_FILTER_COMBINATIONS:
        errors.append(FieldError(
            "spec.tags", f"Too many: {combinations}: the tags times the types may be at most "
            f"{MAX_FILTER_COMBINATIONS} (an SNS filter policy's limit)", "FieldValueTooMany"))
    endpoint = spec.endpoint
    if endpoint.protocol not in PROTOCOLS:
        errors.append(not_supported("spec.endpoint.protocol", endpoint.protocol, PROTOCOLS))
    elif not _ARN[endpoint.protocol].fullmatch(endpoint.endpoint):
        what = "an https URL" if endpoint.protocol == "https" else f"an {endpoint.protocol} ARN"
        errors.append(invalid("spec.endpoint.endpoint", endpoint.endpoint, f"must be {what}"))
    return errors


def filter_policy(namespace: str, stream: str, spec: ImageStreamTriggerSpec,
                  stream_uid: str = "") -> dict:
    """Always scoped to the trigger's own namespace and stream: no trigger sees another's.
    With the stream's uid (every trigger made since triggers name it), to the stream's
    present life too: one created again under the name is another stream to SNS."""
    policy: dict = {"namespace": [namespace], "imageStream": [stream]}
    if stream_uid:
        policy["imageStreamUid"] = [stream_uid]
    if spec.tags:
        policy["tag"] = sorted(set(spec.tags))
    if spec.types:
        policy["type"] = sorted(set(spec.types))
    return policy
