"""`isctl describe`: oc's describe layouts for streams, tags and images."""
from __future__ import annotations

import click

from ..describe import describe_image, describe_stream
from ..errors import ApiError, error_message
from ..resources import IMAGES, STREAM_IMAGES, STREAMS, TAGS, Resource
from ..runtime import connection_options, echo, runtime
from .common import check_istag_name, fetch, object_path, targets


@click.command("describe")
@click.argument("args", nargs=-1, required=True)
@connection_options
def describe(args: tuple[str, ...]) -> int:
    """Show details of image streams (is/NAME), tags (istag/NAME:TAG) and images."""
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
    raise click.UsageError(f"cannot describe {resource.plural}")
