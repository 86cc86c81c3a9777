"""Server-side printing: a GET answer as the `meta.k8s.io` Table that kubectl and oc print.

Clients ask with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io,...` and print the
cells they get back. Each kind's columns are those of the server the kind comes from:
openshift-apiserver's image printers (pkg/image/printers/internalversion), Kubernetes'
printers (pkg/printers/internalversion) for RBAC bindings and Secrets, and for any other
kind the apiserver's default table (rest.defaultTableConvertor: Name, Created At). Like
kube-apiserver, every column is filled, the `-o wide` ones too (priority 1); the client
hides them. Pure: the caller passes the time the ages are counted to.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.errors import BadRequest
from ..resources.secrets import DATA_KEYS

TABLE_GROUP = "meta.k8s.io"
# Both versions hold the same Table; a client gets the version it asked for first.
TABLE_VERSIONS = ("v1", "v1beta1")
INCLUDE_OBJECT = ("Metadata", "Object", "None")  # "" (absent) means Metadata
# JSON is the one media type served; an Accept clause reaches it exactly or by a wildcard.
_JSON_RANGES = {("application", "json"), ("application", "*"), ("*", "*")}
GO_ZERO_TIME = "0001-01-01T00:00:00Z"  # how Go prints an unset time in RFC 3339
TAGS_WIDTH = 40  # characters of an image stream's TAGS cell, as OpenShift budgets it

Cell = str | int
Object = dict[str, Any]


# --- Negotiation -------------------------------------------------------------------------

def table_version(accept: str) -> str | None:
    """The Table apiVersion an Accept header asks for, or None for the plain JSON answer.

    As kube-apiserver negotiates (handlers/negotiation): clauses by quality, wildcards last;
    the first clause reaching JSON whose `as`/`g`/`v` parameters are either absent (plain
    JSON) or a Table of meta.k8s.io v1 or v1beta1 decides. A clause asking for anything else
    is passed over, and when no clause decides the answer is plain JSON, not 406.
    """
    for media_type, params in _accept_clauses(accept):
        if media_type not in _JSON_RANGES:
            continue
        conversion = (params.get("as"), params.get("g"), params.get("v"))
        if conversion == (None, None, None):
            return None
        kind, group, version = conversion
        if kind == "Table" and group == TABLE_GROUP and version in TABLE_VERSIONS:
            return f"{TABLE_GROUP}/{version}"
    return None


def _accept_clauses(header: str) -> list[tuple[tuple[str, str], dict[str, str]]]:
    """Clauses as goautoneg.ParseAccept reads them, highest quality first."""
    clauses = []
    for part in header.split(","):
        media_range, *parameters = part.strip(" ").split(";")
        pieces = media_range.split("/")
        major = pieces[0].strip(" ")
        if len(pieces) == 2:
            minor = pieces[1].strip(" ")
        elif len(pieces) == 1 and major == "*":
            minor = "*"
        else:
            continue
        quality, params = 1.0, {}
        for parameter in parameters:
            key, equals, value = parameter.partition("=")
            if not equals:
                continue
            if key.strip(" ") == "q":
                quality = _quality(value)
            else:
                params[key.strip(" ")] = value.strip(" ")
        clauses.append((quality, (major, minor), params))
    clauses.sort(key=lambda clause: (-clause[0], clause[1][0] == "*", clause[1][1] == "*"))
    return [(media_type, params) for _, media_type, params in clauses]


def _quality(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0  # Go's strconv.ParseFloat error, ignored by goautoneg


# --- Times -------------------------------------------------------------------------------

def age(elapsed: timedelta) -> str:
    """k8s.io/apimachinery's duration.HumanDuration, kubectl's AGE: "45s", "3m20s", "5d"."""
    micros = elapsed // timedelta(microseconds=1)
    seconds = micros // 10**6 if micros >= 0 else -(-micros // 10**6)  # Go truncates
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"  # up to two seconds of clock skew reads as now
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m" if seconds % 60 == 0 else f"{minutes}m{seconds % 60}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    years, days = divmod(hours // 24, 365)
    if hours < 24 * 365 * 8 and days:
        return f"{years}y{days}d"
    return f"{years}y"


def relative_time(elapsed: timedelta) -> str:
    """docker/go-units' HumanDuration, OpenShift's image printers' "2 minutes", "About an hour"."""
    total = elapsed.total_seconds()
    seconds = int(total)
    if seconds < 1:
        return "Less than a second"
    if seconds == 1:
        return "1 second"
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = int(total / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(total / 3600 + 0.5)  # rounded, unlike every other unit
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(total / 3600) // 24 // 365} years"


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _age_since(value: str, now: datetime) -> str:
    moment = _moment(value)
    return age(now - moment) if moment else "<unknown>"


def _ago(value: str, now: datetime) -> str:
    moment = _moment(value)
    return f"{relative_time(now - moment)} ago" if moment else ""


def _text(obj: Object, *path: str) -> str:
    value: Any = obj
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""


# --- Columns -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """A TableColumnDefinition and how its cell is printed from one object at a time."""

    name: str
    cell: Callable[[Object, datetime], Cell]
    description: str
    type: str = "string"
    format: str = ""
    priority: int = 0  # 1: shown by `-o wide` only

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "format": self.format,
                "description": self.description, "priority": self.priority}


# Descriptions are the swagger docs the printers quote.
NAME_DOC = ("Name must be unique within a namespace. Is required when creating resources, "
            "although some resources may allow a client to request the generation of an "
            "appropriate name automatically. Name is primarily intended for creation "
            "idempotence and configuration definition. Cannot be updated. More info: "
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names")
CREATED_DOC = ("CreationTimestamp is a timestamp representing the server time when this "
               "object was created. It is not guaranteed to be set in happens-before order "
               "across separate operations. Clients may not set this value. It is represented "
               "in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for "
               "lists. More info: https://git.k8s.io/community/contributors/devel/"
               "sig-architecture/api-conventions.md#metadata")
IMAGE_REFERENCE_DOC = "DockerImageReference is the string that can be used to pull this image."
UPDATED_DOC = "Last update time."

NAME = Column("Name", lambda obj, now: _text(obj, "metadata", "name"), NAME_DOC, format="name")
AGE = Column("Age", lambda obj, now: _age_since(_text(obj, "metadata", "creationTimestamp"), now),
             CREATED_DOC)
CREATED_AGO = Column(
    "Updated", lambda obj, now: _ago(_text(obj, "metadata", "creationTimestamp"), now),
    UPDATED_DOC)


def _stream_repository(stream: Object, now: datetime) -> str:
    return (_text(stream, "status", "publicDockerImageRepository")
            or _text(stream, "spec", "dockerImageRepository")
            or _text(stream, "status", "dockerImageRepository"))


def _newest_events(stream: Object) -> list[tuple[str, datetime | None]]:
    """Each status tag with the time of its current event, most recently updated first.

    OpenShift's SortStatusTags: newest first, a tie by name, tags with no event last.
    """
    tags = [(tag.get("tag", ""), _moment((tag.get("items") or [{}])[0].get("created")))
            for tag in (stream.get("status") or {}).get("tags") or []]
    oldest = datetime.min.replace(tzinfo=UTC)
    tags.sort(key=lambda tag: tag[0])
    tags.sort(key=lambda tag: tag[1] or oldest, reverse=True)
    return tags


def _stream_tags(stream: Object, now: datetime) -> str:
    """OpenShift's printTagsUpToWidth: as many tags as fit TAGS_WIDTH, at least one.

    A tag that overflows is still shown when more than a quarter of the width was left
    before it and it overflows by no more than a quarter, so the column's edge is less
    ragged.
    """
    names = [name for name, _ in _newest_events(stream)]
    shown, remaining = names, TAGS_WIDTH
    for index, name in enumerate(names):
        remaining -= len(name) + 1
        if remaining >= 0:
            continue
        if index == 0:
            shown = names[:1]
            break
        margin = TAGS_WIDTH // 4
        if margin < remaining + len(name) and margin >= -remaining:
            continue
        shown = names[:index]
        break
    hidden = len(names) - len(shown)
    return f"{','.join(shown)} + {hidden} more..." if hidden else ",".join(shown)


def _stream_updated(stream: Object, now: datetime) -> str:
    times = [moment for _, moment in _newest_events(stream) if moment]
    return f"{relative_time(now - max(times))} ago" if times else ""


def _role(binding: Object, now: datetime) -> str:
    return f"{_text(binding, 'roleRef', 'kind')}/{_text(binding, 'roleRef', 'name')}"


def _subjects(kind: str) -> Callable[[Object, datetime], str]:
    """rbac.SubjectsStrings: one kind's subjects, service accounts as namespace/name."""
    def cell(binding: Object, now: datetime) -> str:
        return ", ".join(
            f"{subject.get('namespace') or ''}/{subject['name']}" if kind == "ServiceAccount"
            else subject["name"]
            for subject in binding.get("subjects") or [] if subject.get("kind") == kind)
    return cell


def _binding_columns(binding: str, role_ref_doc: str) -> tuple[Column, ...]:
    return (NAME, Column("Role", _role, role_ref_doc), AGE,
            Column("Users", _subjects("User"), f"Users in the {binding}", priority=1),
            Column("Groups", _subjects("Group"), f"Groups in the {binding}", priority=1),
            Column("ServiceAccounts", _subjects("ServiceAccount"),
                   f"ServiceAccounts in the {binding}", priority=1))


def _secret_data(secret: Object, now: datetime) -> int:
    # Answers here never carry a secret's data: count the one key its type holds instead.
    data = secret.get("data")
    if data is not None:
        return len(data)
    return 1 if secret.get("type") in DATA_KEYS else 0


IMAGE_NAME = Column("Image Name", lambda obj, now: _text(obj, "image", "metadata", "name"),
                    "image associated with the ImageStream and tag.", priority=1)
COLUMNS: dict[str, tuple[Column, ...]] = {
    "ImageStream": (
        NAME,
        Column("Image Repository", _stream_repository,
               "DockerImageRepository represents the effective location this stream may be "
               "accessed at. May be empty until the server determines where the repository "
               "is located"),
        Column("Tags", _stream_tags, "Human readable list of tags."),
        Column("Updated", _stream_updated, UPDATED_DOC),
    ),
    "ImageStreamTag": (
        NAME,
        Column("Image Reference", lambda obj, now: _text(obj, "image", "dockerImageReference"),
               IMAGE_REFERENCE_DOC),
        CREATED_AGO,
        IMAGE_NAME,
    ),
    "ImageStreamImage": (
        NAME,
        CREATED_AGO,
        Column("Image Reference", lambda obj, now: _text(obj, "image", "dockerImageReference"),
               IMAGE_REFERENCE_DOC, priority=1),
        Column("Image Name", IMAGE_NAME.cell,
               "Image associated with the ImageStream and image name.", priority=1),
    ),
    "Image": (
        NAME,
        Column("Image Reference", lambda obj, now: _text(obj, "dockerImageReference"),
               IMAGE_REFERENCE_DOC),
    ),
    "RoleBinding": _binding_columns(
        "roleBinding",
        "RoleRef can reference a Role in the current namespace or a ClusterRole in the global "
        "namespace. If the RoleRef cannot be resolved, the Authorizer must return an error."),
    "ClusterRoleBinding": _binding_columns(
        "clusterRoleBinding",
        "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef "
        "cannot be resolved, the Authorizer must return an error."),
    "Secret": (
        NAME,
        Column("Type", lambda obj, now: _text(obj, "type"),
               "Used to facilitate programmatic handling of secret data. More info: "
               "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"),
        Column("Data", _secret_data,
               "Data contains the secret data. Each key must consist of alphanumeric "
               "characters, '-', '_' or '.'. The serialized form of the secret data is a "
               "base64 encoded string, representing the arbitrary (possibly non-string) data "
               "value here. Described in https://tools.ietf.org/html/rfc4648#section-4"),
        AGE,
    ),
}
DEFAULT_COLUMNS = (
    NAME,
    # A date, not an age: clients print it as they like.
    Column("Created At",
           lambda obj, now: _text(obj, "metadata", "creationTimestamp") or GO_ZERO_TIME,
           CREATED_DOC, type="date"),
)


# --- The Table ---------------------------------------------------------------------------

def to_table(answer: Object, *, version: str, include_object: str, now: datetime) -> Object:
    """`answer`, the JSON a GET would send (one object or a `<Kind>List`), as a Table.

    version: what table_version chose. include_object: the `includeObject` query parameter,
    "" when absent; anything but Kubernetes' values is 400 BadRequest. now: the time ages are
    counted to.
    """
    include = _include_object(include_object)
    kind = answer.get("kind", "")
    if kind.endswith("List"):
        kind, objects = kind.removesuffix("List"), answer.get("items") or []
        metadata = {key: value for key, value in (answer.get("metadata") or {}).items()
                    if key in ("resourceVersion", "continue", "remainingItemCount") and value}
    else:
        objects, resource_version = [answer], _text(answer, "metadata", "resourceVersion")
        metadata = {"resourceVersion": resource_version} if resource_version else {}
    columns = COLUMNS.get(kind, DEFAULT_COLUMNS)
    return {
        "kind": "Table",
        "apiVersion": version,
        "metadata": metadata,
        "columnDefinitions": [column.definition() for column in columns],
        "rows": [{"cells": [column.cell(obj, now) for column in columns],
                  "object": _row_object(obj, include, version)} for obj in objects],
    }


def _include_object(value: str) -> str:
    if value in ("", *INCLUDE_OBJECT):
        return value or "Metadata"
    raise BadRequest("Unable to convert to Table as requested: includeObject: Invalid value: "
                     f"{json.dumps(value, ensure_ascii=False)}: must be 'Metadata', 'Object', "
                     "'None', or empty")


def _row_object(obj: Object, include: str, version: str) -> Object | None:
    if include == "Object":
        return obj
    if include == "Metadata":
        return {"kind": "PartialObjectMetadata", "apiVersion": version,
                "metadata": obj.get("metadata") or {}}
    return None  # Kubernetes writes the row's object as null
