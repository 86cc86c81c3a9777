"""`isctl create -f`, `apply -f` and `delete -f|TYPE/NAME`, worded as kubectl words them."""
from __future__ import annotations

import json
from typing import Any, Optional

import click

from .. import printers
from ..errors import ApiError, CliError, error_message
from ..http import Client
from ..manifests import read_manifests
from ..resources import IMAGES, STREAMS, TAGS, Resource, of_kind
from ..runtime import Runtime, connection_options, echo, runtime
from .common import object_path, targets

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "selfLink",
                 "selflink", "managedFields")
_files = click.option("-f", "--filename", "filenames", multiple=True,
                      help="Manifest file, directory, or - for standard input.")
_output = click.option("-o", "--output", type=click.Choice(("name", "json", "yaml")))


def _namespace(rt: Runtime, obj: dict, resource: Resource) -> str:
    """The object's own namespace, unless -n names another (kubectl refuses that)."""
    own = (obj.get("metadata") or {}).get("namespace")
    settings = rt.settings()
    if own and settings.namespace_explicit and own != settings.namespace:
        raise CliError(f'the namespace from the provided object "{own}" does not match the '
                       f'namespace "{settings.namespace}". You must pass '
                       f"'--namespace={own}' to perform this operation.")
    return own or settings.namespace


def _name(obj: dict) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _report(resource: Resource, obj: dict, result: Any, verb: str, output: Optional[str]) -> None:
    if output in ("json", "yaml") and isinstance(result, dict) and result.get("kind") != "Status":
        echo(printers.dump(result, output))
    elif output == "name":
        echo(f"{resource.qualified}/{_name(obj)}")
    else:
        echo(f"{resource.qualified}/{_name(obj)} {verb}")


def _each(filenames: tuple[str, ...], action) -> int:
    rt = runtime()
    if not filenames:
        raise click.UsageError("must specify one of -f and -k")
    failed = False
    for source, obj in read_manifests(filenames, rt.input(), rt.cwd):
        try:
            resource = of_kind(str(obj.get("kind")))
            action(rt, resource, _namespace(rt, obj, resource), obj)
        except (ApiError, CliError) as error:
            echo(error_message(error), err=True)
            failed = True
    return 1 if failed else 0


@click.command("create")
@_files
@_output
@connection_options
def create(filenames: tuple[str, ...], output: Optional[str]) -> int:
    """Create objects from manifests (YAML or JSON, several documents per file)."""
    def action(rt: Runtime, resource: Resource, namespace: str, obj: dict) -> None:
        result = rt.client().post(object_path(resource, namespace), obj)
        _report(resource, obj, result, "created", output)
    return _each(filenames, action)


@click.command("apply")
@_files
@_output
@connection_options
def apply(filenames: tuple[str, ...], output: Optional[str]) -> int:
    """Create objects, or bring existing ones to what the manifests say."""
    def action(rt: Runtime, resource: Resource, namespace: str, obj: dict) -> None:
        client = rt.client()
        if resource is STREAMS:
            verb, result = _apply_stream(client, namespace, obj)
        elif resource is TAGS:
            verb, result = _apply_tag(client, namespace, obj)
        else:  # mappings and imports can only be created
            verb, result = "created", client.post(object_path(resource, namespace), obj)
        _report(resource, obj, result, verb, output)
    return _each(filenames, action)


def _desired(obj: dict) -> dict:
    """The manifest without status and server-owned metadata, carrying what was applied."""
    desired = {key: value for key, value in obj.items() if key != "status"}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_FIELDS}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    applied = dict(desired, metadata=dict(meta, annotations=annotations or None))
    if not annotations:
        del applied["metadata"]["annotations"]
    annotations[LAST_APPLIED] = json.dumps(applied, sort_keys=True, separators=(",", ":"))
    desired["metadata"] = dict(meta, annotations=annotations)
    return desired


def _contained(desired: Any, live: Any) -> bool:
    """Whether `live` already says everything `desired` says (server defaults aside)."""
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(_contained(v, live.get(k)) for k, v in
                                              desired.items())
    if isinstance(desired, list):
        return (isinstance(live, list) and len(desired) == len(live)
                and all(_contained(d, item) for d, item in zip(desired, live)))
    return desired == live


def _three_way(last: dict, desired: dict, live: dict) -> dict:
    """A merge patch: what the manifest changed, and nulls for what it no longer sets."""
    patch: dict = {}
    for key, value in desired.items():
        current = live.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            previous = last.get(key) if isinstance(last.get(key), dict) else {}
            nested = _three_way(previous, value, current)
            if nested:
                patch[key] = nested
        elif not _contained(value, current):
            patch[key] = value
    for key in last:
        if key not in desired and key in live:
            patch[key] = None
    return patch


def _apply_stream(client: Client, namespace: str, obj: dict) -> tuple[str, Any]:
    path = object_path(STREAMS, namespace, _name(obj))
    desired = _desired(obj)
    try:
        live = client.get(path)
    except ApiError as error:
        if not error.is_not_found():
            raise
        return "created", client.post(object_path(STREAMS, namespace), desired)
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    try:
        last = json.loads(annotations.get(LAST_APPLIED) or "{}")
    except ValueError:
        last = {}
    fields = ("metadata", "spec")
    patch = _three_way({k: last.get(k) or {} for k in fields},
                       {k: desired.get(k) or {} for k in fields}, live)
    if not patch:
        return "unchanged", live
    return "configured", client.patch(path, patch)


def _apply_tag(client: Client, namespace: str, obj: dict) -> tuple[str, Any]:
    # The live spec tag is read from its stream: an istag without an image is NotFound.
    path = object_path(TAGS, namespace, _name(obj))
    stream, _, tag = _name(obj).partition(":")
    try:
        live = client.get(object_path(STREAMS, namespace, stream))
    except ApiError as error:
        if not error.is_not_found():
            raise
        live = {}
    spec_tags = (live.get("spec") or {}).get("tags") or []
    current = next((ref for ref in spec_tags if ref.get("name") == tag), None)
    if current is None:
        return "created", client.put(path, obj)
    if _contained(obj.get("tag"), current):
        return "unchanged", obj
    return "configured", client.put(path, obj)


@click.command("delete")
@click.argument("args", nargs=-1)
@_files
@click.option("--ignore-not-found", is_flag=True, help="Treat a missing object as deleted.")
@connection_options
def delete(args: tuple[str, ...], filenames: tuple[str, ...], ignore_not_found: bool) -> int:
    """Delete objects named on the command line (TYPE NAME, TYPE/NAME) or in manifests."""
    rt = runtime()
    if args and filenames:
        raise click.UsageError("cannot name objects and pass -f at the same time")

    def remove(resource: Resource, namespace: str, name: str) -> None:
        if not name:
            raise click.UsageError(f"resource(s) were provided, but no name was specified")
        try:
            rt.client().delete(object_path(resource, namespace, name))
        except ApiError as error:
            if ignore_not_found and error.is_not_found():
                return
            raise
        echo(f'{resource.qualified} "{name}" deleted')

    if filenames:
        return _each(filenames, lambda rt_, resource, namespace, obj:
                     remove(resource, namespace, _name(obj)))
    if not args:
        raise click.UsageError("You must provide one or more resources by argument or "
                               "filename.")
    failed = False
    for resource, name in targets(args):
        try:
            remove(resource, rt.namespace if resource is not IMAGES else "", name or "")
        except ApiError as error:
            echo(error_message(error), err=True)
            failed = True
    return 1 if failed else 0
