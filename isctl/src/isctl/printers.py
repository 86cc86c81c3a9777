"""`oc get` output: the server-side table columns of OpenShift, and -o json|yaml|name."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable

import yaml

from . import tagorder
from .errors import CliError
from .humanize import ago, parse_time, short_duration
from .resources import (
    CLUSTER_ROLE_BINDINGS,
    IMAGES,
    ROLE_BINDINGS,
    SECRETS,
    STREAM_IMAGES,
    STREAMS,
    TAGS,
    Resource,
)
from .tabwriter import table

FORMATS = ("wide", "json", "yaml", "name")
Row = list[str]


def _tags_up_to_width(status_tags: list[dict], preferred: int = 40) -> str:
    """As many tags as fit the width budget, at least one, then "+ N more..."."""
    tags = tagorder.prioritize([t.get("tag", "") for t in status_tags])
    shown = tags
    remaining = preferred
    for index, tag in enumerate(tags):
        remaining -= len(tag) + 1
        if remaining >= 0:
            continue
        if index == 0:
            shown = tags[:1]
            break
        # keep going when a lot of the width is unused and this tag stays within 125%
        margin = preferred // 4
        if margin < remaining + len(tag) and margin >= -remaining:
            continue
        shown = tags[:index]
        break
    hidden = len(tags) - len(shown)
    return f"{','.join(shown)} + {hidden} more..." if hidden > 0 else ",".join(shown)


def _stream_row(stream: dict, now: datetime, wide: bool) -> Row:
    status = stream.get("status") or {}
    latest: datetime | None = None
    for tag in status.get("tags") or []:
        items = tag.get("items") or []
        created = parse_time(items[0].get("created")) if items else None
        if created and (latest is None or created > latest):
            latest = created
    repository = ((stream.get("spec") or {}).get("dockerImageRepository")
                  or status.get("dockerImageRepository") or "")
    repository = status.get("publicDockerImageRepository") or repository
    updated = ago(latest.isoformat(), now) if latest else ""
    return [stream["metadata"]["name"], repository,
            _tags_up_to_width(status.get("tags") or []), updated]


def _istag_row(istag: dict, now: datetime, wide: bool) -> Row:
    image = istag.get("image") or {}
    row = [istag["metadata"]["name"], image.get("dockerImageReference", ""),
           ago(istag["metadata"].get("creationTimestamp"), now)]
    return row + [(image.get("metadata") or {}).get("name", "")] if wide else row


def _isimage_row(isimage: dict, now: datetime, wide: bool) -> Row:
    image = isimage.get("image") or {}
    row = [isimage["metadata"]["name"], ago(isimage["metadata"].get("creationTimestamp"), now)]
    if wide:
        row += [image.get("dockerImageReference", ""),
                (image.get("metadata") or {}).get("name", "")]
    return row


def _image_row(image: dict, now: datetime, wide: bool) -> Row:
    return [image["metadata"]["name"], image.get("dockerImageReference", "")]


def _age(obj: dict, now: datetime) -> str:
    created = parse_time((obj.get("metadata") or {}).get("creationTimestamp"))
    return short_duration((now - created).total_seconds()) if created else "<unknown>"


def _secret_row(secret: dict, now: datetime, wide: bool) -> Row:
    """kubectl's columns but DATA: the service never answers with a secret's values, nor
    says how many there are."""
    return [secret["metadata"]["name"], secret.get("type") or "Opaque", _age(secret, now)]


def _subject_names(binding: dict, kind: str) -> str:
    names = []
    for subject in binding.get("subjects") or []:
        if subject.get("kind") != kind:
            continue
        if kind == "ServiceAccount":
            names.append(f"{subject.get('namespace') or ''}/{subject.get('name')}")
        else:
            names.append(str(subject.get("name")))
    return ", ".join(names)


def _binding_row(binding: dict, now: datetime, wide: bool) -> Row:
    ref = binding.get("roleRef") or {}
    row = [binding["metadata"]["name"], f"{ref.get('kind', 'ClusterRole')}/{ref.get('name')}",
           _age(binding, now)]
    if wide:
        row += [_subject_names(binding, kind) for kind in ("User", "Group", "ServiceAccount")]
    return row


TABLES: dict[str, tuple[Row, Row, Callable[[dict, datetime, bool], Row]]] = {
    STREAMS.plural: (["NAME", "IMAGE REPOSITORY", "TAGS", "UPDATED"], [], _stream_row),
    TAGS.plural: (["NAME", "IMAGE REFERENCE", "UPDATED"], ["IMAGE NAME"], _istag_row),
    STREAM_IMAGES.plural: (["NAME", "UPDATED"], ["IMAGE REFERENCE", "IMAGE NAME"], _isimage_row),
    IMAGES.plural: (["NAME", "IMAGE REFERENCE"], [], _image_row),
    SECRETS.plural: (["NAME", "TYPE", "AGE"], [], _secret_row),
    ROLE_BINDINGS.plural: (["NAME", "ROLE", "AGE"], ["USERS", "GROUPS", "SERVICEACCOUNTS"],
                           _binding_row),
    CLUSTER_ROLE_BINDINGS.plural: (["NAME", "ROLE", "AGE"],
                                   ["USERS", "GROUPS", "SERVICEACCOUNTS"], _binding_row),
}


def render_table(resource: Resource, objects: list[dict], now: datetime, wide: bool) -> str:
    if resource.plural not in TABLES:
        raise CliError(f"no table columns for {resource.plural}; use -o json or -o yaml")
    header, wide_header, row = TABLES[resource.plural]
    rows = [header + (wide_header if wide else [])]
    rows += [row(obj, now, wide) for obj in objects]
    return table(rows)


def as_list(objects: list[dict]) -> dict:
    return {"apiVersion": "v1", "items": objects, "kind": "List",
            "metadata": {"resourceVersion": ""}}


def dump(document: Any, output: str) -> str:
    """JSON as kubectl prints it (keys sorted, four spaces) or YAML (keys sorted, unwrapped)."""
    if output == "json":
        return json.dumps(document, indent=4, sort_keys=True, ensure_ascii=False)
    return yaml.safe_dump(document, default_flow_style=False, sort_keys=True,
                          allow_unicode=True, width=2 ** 31).rstrip("\n")


def name_line(resource: Resource, obj: dict) -> str:
    return f"{resource.qualified}/{(obj.get('metadata') or {}).get('name', '')}"
