"""`isctl create -f`, `apply -f` and `delete -f|TYPE/NAME`, worded as kubectl words them.

Each document goes to its own group's API: image.openshift.io kinds (also written in the
legacy `v1`), core v1 Secrets, rbac.authorization.k8s.io RoleBindings and
ClusterRoleBindings; `List` documents contribute their items.
"""
from __future__ import annotations

import json
from typing import Any

import click

from .. import printers
from ..errors import ApiError, CliError, error_message
from ..helptext import command, group
from ..http import Client
from ..manifests import read_manifests
from ..resources import (
    CLUSTER_ROLE_BINDINGS,
    ROLE_BINDINGS,
    SECRETS,
    STREAMS,
    TAGS,
    Resource,
    of_kind,
)
from ..runtime import Runtime, connection_options, echo, runtime
from .common import complete_types, object_path, targets
from .policy import Bindings, Scope
from .secrets import secret
from .tokens import create_token

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "selfLink",
                 "selflink", "managedFields")
_files = click.option("-f", "--filename", "filenames", multiple=True,
                      help="Manifest file, directory, or - for standard input.")
_output = click.option("-o", "--output", type=click.Choice(("name", "json", "yaml")),
                       help="Print each object's name, or the server's answer as JSON or YAML.")


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


def _report(resource: Resource, obj: dict, result: Any, verb: str, output: str | None) -> None:
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
    for _source, obj in read_manifests(filenames, rt.input(), rt.cwd):
        try:
            resource = of_kind(str(obj.get("kind")), str(obj.get("apiVersion")))
            action(rt, resource, _namespace(rt, obj, resource), obj)
        except (ApiError, CliError) as error:
            echo(error_message(error), err=True)
            failed = True
    return 1 if failed else 0


@group("create", invoke_without_command=True, examples="""
    # Create the objects of a manifest (YAML or JSON, several documents, List documents)
    isctl create -f python-stream.yaml

    # Create from standard input
    cat stream.json | isctl create -f -

    # Create an empty image stream
    isctl create imagestream python

    # Create registry credentials for imports
    isctl create secret docker-registry quay-pull --docker-server=quay.io \\
        --docker-username=robot --docker-password="$QUAY_TOKEN"

    # Request a token for the service account "builder"
    isctl create token builder
    """)
@_files
@_output
@connection_options
def create(filenames: tuple[str, ...], output: str | None) -> int:
    """Create objects from manifests, or with one of the subcommands."""
    if click.get_current_context().invoked_subcommand:
        return 0

    def action(rt: Runtime, resource: Resource, namespace: str, obj: dict) -> None:
        result = rt.client().post(object_path(resource, namespace), obj)
        _report(resource, obj, result, "created", output)
    return _each(filenames, action)


@create.command("imagestream", examples="""
    # Create a new, empty image stream
    isctl create imagestream python
    """)
@click.argument("name")
@_output
@connection_options
def create_imagestream(name: str, output: str | None) -> int:
    """Create a new, empty image stream (oc create imagestream)."""
    rt = runtime()
    obj = {"apiVersion": STREAMS.api_version, "kind": STREAMS.kind, "metadata": {"name": name},
           "spec": {"lookupPolicy": {"local": False}}}
    result = rt.client().post(object_path(STREAMS, rt.namespace), obj)
    _report(STREAMS, obj, result, "created", output)
    return 0


create.add_command(secret)
create.add_command(create_token)


@command("apply", examples="""
    # Create the image streams of a manifest, or bring them to what it says
    isctl apply -f python-stream.yaml

    # Apply every manifest of a directory
    isctl apply -f manifests/

    # Apply registry credentials and a role binding kept in one file
    isctl apply -f access.yaml
    """)
@_files
@_output
@connection_options
def apply(filenames: tuple[str, ...], output: str | None) -> int:
    """Create objects, or bring existing ones to what the manifests say.

    Image streams get a three-way merge patch, as kubectl's; an image stream tag is set
    again when its spec tag differs. A role binding whose role or subjects differ is
    rewritten. A Secret that exists is replaced: its values are never read back, so apply
    cannot tell whether they changed.
    """
    def action(rt: Runtime, resource: Resource, namespace: str, obj: dict) -> None:
        client = rt.client()
        if resource is STREAMS:
            verb, result = _apply_stream(client, namespace, obj)
        elif resource is TAGS:
            verb, result = _apply_tag(client, namespace, obj)
        elif resource is SECRETS:
            verb, result = _apply_secret(client, namespace, obj)
        elif resource in (ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS):
            verb, result = _apply_binding(client, namespace, resource, obj)
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
            earlier = last.get(key)
            previous = earlier if isinstance(earlier, dict) else {}
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


def _apply_secret(client: Client, namespace: str, obj: dict) -> tuple[str, Any]:
    path = object_path(SECRETS, namespace, _name(obj))
    try:
        client.get(path)
    except ApiError as error:
        if not error.is_not_found():
            raise
        return "created", client.post(object_path(SECRETS, namespace), obj)
    # Secrets have no update; deleted and made again, their new values are in use at once.
    client.delete(path)
    return "configured", client.post(object_path(SECRETS, namespace), obj)


def _apply_binding(client: Client, namespace: str, resource: Resource,
                   obj: dict) -> tuple[str, Any]:
    bindings = Bindings(client, Scope(namespace if resource is ROLE_BINDINGS else None))
    live = bindings.named(_name(obj))
    if live is None:
        return "created", client.post(object_path(resource, namespace), obj)
    role = (obj.get("roleRef") or {}).get("name")
    subjects = list(obj.get("subjects") or [])
    if (live.get("roleRef") or {}).get("name") == role and _contained(subjects, list(
            live.get("subjects") or [])):
        return "unchanged", live
    bindings.replace(dict(live, roleRef=obj.get("roleRef") or live.get("roleRef"),
                          metadata=dict(live.get("metadata") or {},
                                        **{k: v for k, v in (obj.get("metadata") or {}).items()
                                           if k in ("labels", "annotations")})), subjects)
    return "configured", obj


@command("delete", examples="""
    # Delete the image stream python and everything tagged in it
    isctl delete is/python

    # Delete one tag (as isctl tag -d does)
    isctl delete istag python:3.5

    # Delete the objects a manifest describes
    isctl delete -f python-stream.yaml

    # Delete registry credentials, and a role binding
    isctl delete secret quay-pull
    isctl delete rolebinding system:image-puller
    """)
@click.argument("args", nargs=-1, shell_complete=complete_types)
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
            raise click.UsageError("resource(s) were provided, but no name was specified")
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
            remove(resource, rt.namespace, name or "")
        except ApiError as error:
            echo(error_message(error), err=True)
            failed = True
    return 1 if failed else 0
