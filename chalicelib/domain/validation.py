"""OpenShift's validation rules and messages for streams, tags, references and images."""
from __future__ import annotations

import json
import re

from ..resources.image import Image
from ..resources.stream import ImageStream, TagReference
from .errors import FieldError
from .reference import (
    DIGEST_RE,
    MAX_DIGEST_LENGTH,
    MAX_REPOSITORY_LENGTH,
    STREAM_NAME_RE,
    TAG_RE,
    InvalidReference,
    parse_reference,
    split_image_source,
    split_tag_source,
)

MAX_NAME_LENGTH = 63  # the reference chapter's limit for stream names and namespaces
MAX_ANNOTATIONS_BYTES = 256 * 1024
SOURCE_KINDS = ("DockerImage", "ImageStreamImage", "ImageStreamTag")
IMPORT_MODES = ("Legacy", "PreserveOriginal")
REFERENCE_POLICIES = ("Source", "Local")
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
TAG_FORMAT_MESSAGE = (
    "tags must start with an alphanumeric character followed by alphanumeric, '.' or '-' "
    "characters, and have a maximum of 128 characters"
)


def _quote(value: object) -> str:
    """Quoted like Go's %q: printable non-ASCII characters stay as they are."""
    return json.dumps(value, ensure_ascii=False)


def invalid(field: str, value: object, detail: str) -> FieldError:
    return FieldError(field, f"Invalid value: {_quote(value)}: {detail}", "FieldValueInvalid")


def required(field: str, detail: str = "") -> FieldError:
    message = "Required value" + (f": {detail}" if detail else "")
    return FieldError(field, message, "FieldValueRequired")


def not_found(field: str, value: object) -> FieldError:
    return FieldError(field, f"Not found: {_quote(value)}", "FieldValueNotFound")


def not_supported(field: str, value: object, allowed: tuple[str, ...]) -> FieldError:
    options = ", ".join(json.dumps(a) for a in allowed)
    return FieldError(
        field, f"Unsupported value: {_quote(value)}: supported values: {options}",
        "FieldValueNotSupported",
    )


def validate_namespace(namespace: str, field: str = "metadata.namespace") -> list[FieldError]:
    if not namespace:
        return [required(field)]
    if len(namespace) > MAX_NAME_LENGTH:
        return [invalid(field, namespace, f"must be no more than {MAX_NAME_LENGTH} characters")]
    if not _DNS1123_LABEL.fullmatch(namespace):
        return [invalid(field, namespace,
                        "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                        "characters or '-', and must start and end with an alphanumeric character "
                        "(e.g. 'my-name',  or '123-abc', regex used for validation is "
                        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]
    return []


def validate_stream_name(name: str, namespace: str,
                         field: str = "metadata.name") -> list[FieldError]:
    if not name:
        return [required(field, "name or generateName is required")]
    if name in (".", "..") or "/" in name or "%" in name:
        return [invalid(field, name, "may not contain '/' or '%' and may not be '.' or '..'")]
    if len(name) > MAX_NAME_LENGTH:
        return [invalid(field, name, f"must be no more than {MAX_NAME_LENGTH} characters")]
    if not STREAM_NAME_RE.fullmatch(name):
        return [invalid(field, name, f'must match "{STREAM_NAME_RE.pattern}"')]
    if len(namespace) + 1 + len(name) > MAX_REPOSITORY_LENGTH:
        return [invalid(field, name, "'namespace/name' cannot be longer than 255 characters")]
    return []


def names_valid(namespace: str, stream: str, tag: str | None = None) -> bool:
    """Whether a stream (and tag) of these names could exist: reads of others are NotFound
    without asking the store, which refuses oversized keys."""
    return not (validate_namespace(namespace) or validate_stream_name(stream, namespace)
                or (tag is not None and validate_tag_name(tag, "tag")))


def validate_tag_name(tag: str, field: str) -> list[FieldError]:
    if not tag:
        return [required(field)]
    if not TAG_RE.fullmatch(tag):
        return [invalid(field, tag, f'invalid tag "{tag}" format, {TAG_FORMAT_MESSAGE}')]
    return []


def validate_digest(digest: str, field: str) -> list[FieldError]:
    if not DIGEST_RE.fullmatch(digest):
        return [invalid(field, digest, "must be a digest of the form <algorithm>:<hex>, "
                                       "with at least 32 hex characters and at most "
                                       f"{MAX_DIGEST_LENGTH} characters in all")]
    return []


def _validate_qualified_keys(values: dict[str, str] | None, field: str,
                             check_values: bool) -> list[FieldError]:
    errors: list[FieldError] = []
    for key, value in (values or {}).items():
        prefix, slash, name = key.rpartition("/")
        if (not _LABEL_NAME.fullmatch(name) or len(name) > 63
                or (slash and (len(prefix) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(prefix)))):
            errors.append(invalid(field, key, "name part must consist of alphanumeric characters, "
                                  "'-', '_' or '.', and must start and end with an alphanumeric "
                                  "character, with an optional DNS subdomain prefix and '/'"))
        if check_values and value and (len(value) > 63 or not _LABEL_NAME.fullmatch(value)):
            errors.append(invalid(f"{field}[{key}]", value, "a valid label must be an empty "
                                  "string or consist of at most 63 alphanumeric characters, "
                                  "'-', '_' or '.', starting and ending with an alphanumeric"))
    return errors


def validate_labels(labels: dict[str, str] | None, field: str) -> list[FieldError]:
    return _validate_qualified_keys(labels, field, check_values=True)


def validate_annotations(annotations: dict[str, str] | None, field: str) -> list[FieldError]:
    errors = _validate_qualified_keys(annotations, field, check_values=False)
    size = sum(len(k.encode()) + len(v.encode()) for k, v in (annotations or {}).items())
    if size > MAX_ANNOTATIONS_BYTES:
        errors.append(FieldError(field,
                                 f"Too long: must have at most {MAX_ANNOTATIONS_BYTES} bytes",
                                 "FieldValueTooLong"))
    return errors


def validate_docker_reference(name: str, field: str) -> list[FieldError]:
    try:
        parse_reference(name)
    except InvalidReference as exc:
        return [invalid(field, name, str(exc))]
    return []


def validate_tag_reference(ref: TagReference, field: str) -> list[FieldError]:
    """Rules for one spec tag; `field` is its path, e.g. `spec.tags[latest]` or `tag`."""
    errors = validate_tag_name(ref.name, f"{field}.name")
    errors += validate_annotations(ref.annotations, f"{field}.annotations")
    source = ref.from_
    if ref.import_policy.import_mode not in IMPORT_MODES:
        errors.append(not_supported(f"{field}.importPolicy.importMode",
                                    ref.import_policy.import_mode, IMPORT_MODES))
    if ref.reference_policy.type not in REFERENCE_POLICIES:
        errors.append(not_supported(f"{field}.referencePolicy.type",
                                    ref.reference_policy.type, REFERENCE_POLICIES))
    if source is None:
        if ref.import_policy.scheduled:
            errors.append(invalid(f"{field}.importPolicy.scheduled", True,
                                  "only tags pointing to Docker repositories may be scheduled "
                                  "for background import"))
        return errors
    from_field = f"{field}.from"
    if source.kind not in SOURCE_KINDS:
        return errors + [not_supported(f"{from_field}.kind", source.kind, SOURCE_KINDS)]
    if source.namespace:
        errors += validate_namespace(source.namespace, f"{from_field}.namespace")
    if not source.name:
        errors.append(required(f"{from_field}.name"))
    elif source.kind == "DockerImage":
        errors += validate_docker_reference(source.name, f"{from_field}.name")
    elif source.kind == "ImageStreamTag":
        parts = split_tag_source(source.name)
        if parts is None:
            errors.append(invalid(f"{from_field}.name", source.name,
                                  "must be of the form <tag> or <stream_name>:<tag>"))
        else:
            errors += validate_tag_name(parts[1], f"{from_field}.name")
    elif split_image_source(source.name) is None:
        errors.append(invalid(f"{from_field}.name", source.name,
                              "must be of the form <id> or <stream_name>@<id>"))
    if ref.import_policy.scheduled and source.kind != "DockerImage":
        errors.append(invalid(f"{field}.importPolicy.scheduled", True,
                              "only tags pointing to Docker repositories may be scheduled for "
                              "background import"))
    return errors


def validate_image_stream(stream: ImageStream, namespace: str) -> list[FieldError]:
    meta = stream.metadata
    errors = validate_namespace(namespace)
    errors += validate_stream_name(meta.name or "", namespace)
    errors += validate_labels(meta.labels, "metadata.labels")
    errors += validate_annotations(meta.annotations, "metadata.annotations")
    if stream.spec.docker_image_repository:
        errors += validate_docker_reference(stream.spec.docker_image_repository,
                                            "spec.dockerImageRepository")
    for index, ref in enumerate(stream.spec.tags or []):
        errors += validate_tag_reference(ref, f"spec.tags[{ref.name or index}]")
    return errors


def validate_image(image: Image, field: str = "image") -> list[FieldError]:
    errors = validate_digest(image.metadata.name or "", f"{field}.metadata.name")
    if image.docker_image_reference:
        errors += validate_docker_reference(image.docker_image_reference,
                                            f"{field}.dockerImageReference")
    else:
        errors.append(required(f"{field}.dockerImageReference"))
    return errors
