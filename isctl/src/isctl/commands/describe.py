"""`isctl describe`: oc's describe layouts for streams, tags and images, and kubectl's for
secrets and role bindings."""
from __future__ import annotations

import click

from ..describe import describe_binding, describe_image, describe_secret, describe_stream
from ..errors import ApiError, error_message
from ..helptext import command
from ..resources import (
    CLUSTER_ROLE_BINDINGS,
    IMAGES,
    ROLE_BINDINGS,
    SECRETS,
    STREAM_IMAGES,
    STREAMS,
    TAGS,
    Resource,
)
from ..runtime import connection_options, echo, runtime
from .common import check_istag_name, complete_types, fetch, object_path, targets


@command("describe", examples="""
    # Describe an image stream: every tag and its history, newest first
    isctl describe is/python

    # Describe the image a tag points at
    isctl describe istag/python:latest

    # Describe an image of a stream by a unique prefix of its digest
    isctl describe isimage python@sha256:49c18358df82

    # Describe registry credentials (name and type; never their values)
    isctl describe secret quay-pull

    # Describe who holds a role in the current namespace
    isctl describe rolebinding system:image-puller
    """)
@click.argument("args", nargs=-1, required=True, shell_complete=complete_types)
@connection_options
def describe(args: tuple[str, ...]) -> int:
    """Show details of image streams (is/NAME), tags (istag/NAME:TAG), images, secrets
    and role bindings."""
    rt = runtime()
    client, namespace, now = rt.client(), rt.namespace, rt.now()
    texts, failed = [], False
    for resource, name in targets(args):
        names = [name] if name else [
            obj["metadata"]["name"] for obj in client.list(object_path(resource, namespace))]
        for one in names:
            try:
                texts.append(_describe(client, resource, namespace, one, now))
            except ApiError as error:
                echo(error_message(error), err=True)
                failed = True
    if texts:
        click.echo("\n\n".join(texts), nl=False)
    return 1 if failed else 0


def _describe(client, resource: Resource, namespace: str, name: str, now) -> str:
    if resource is STREAMS:
        return describe_stream(fetch(client, resource, namespace, name), now)
    if resource is TAGS:
        check_istag_name(name)
        istag = fetch(client, resource, namespace, name)
        image = istag.get("image") or {}
        return describe_image(image, (image.get("metadata") or {}).get("name", ""), now)
    if resource is STREAM_IMAGES:
        image = fetch(client, resource, namespace, name).get("image") or {}
        return describe_image(image, (image.get("metadata") or {}).get("name", ""), now)
    if resource is IMAGES:
        return describe_image(fetch(client, resource, namespace, name), "", now)
    if resource is SECRETS:
        return describe_secret(fetch(client, resource, namespace, name))
    if resource in (ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS):
        return describe_binding(fetch(client, resource, namespace, name))
    raise click.UsageError(f"cannot describe {resource.plural}")
