"""`isctl get`: oc's tables for streams, tags, stream images and images."""
from __future__ import annotations

import click

from .. import printers
from ..errors import ApiError, error_message
from ..helptext import command
from ..http import Client
from ..resources import Resource
from ..runtime import connection_options, echo, runtime
from .common import complete_types, fetch, no_resources, object_path, targets


@command("get", examples="""
    # List the image streams of the current namespace
    isctl get is

    # List every tag with the image it points at
    isctl get istag -o wide

    # Show one stream as YAML, or only the names of the tags
    isctl get is/python -o yaml
    isctl get istag -o name

    # List streams by label
    isctl get is -l app=web

    # List registry secrets (names and types; never their values) and role bindings
    isctl get secrets
    isctl get rolebindings -o wide
    """)
@click.argument("args", nargs=-1, required=True, shell_complete=complete_types)
@click.option("-o", "--output", type=click.Choice(printers.FORMATS),
              help="Output format: wide, json, yaml or name.")
@click.option("-l", "--selector", help="Label selector, e.g. app=web,tier!=db.")
@connection_options
def get(args: tuple[str, ...], output: str | None, selector: str | None) -> int:
    """Display one or many image streams, tags, stream images, images, secrets or role
    bindings."""
    rt = runtime()
    client, namespace, now = rt.client(), rt.namespace, rt.now()
    pairs = targets(args)
    named = all(name for _, name in pairs)
    failed = False
    groups: list[tuple[Resource, list[dict]]] = []
    for resource, name in pairs:
        try:
            objects = ([fetch(client, resource, namespace, name)] if name else
                       _list(client, resource, namespace, selector))
        except ApiError as error:
            if not name:
                raise
            echo(error_message(error), err=True)
            failed = True
            continue
        if groups and groups[-1][0] == resource:
            groups[-1][1].extend(objects)
        else:
            groups.append((resource, objects))
    everything = [obj for _, objects in groups for obj in objects]
    if output in ("json", "yaml"):
        if named and len(pairs) == 1 and everything:
            echo(printers.dump(everything[0], output))
        elif everything or not named:
            echo(printers.dump(printers.as_list(everything), output))
    elif output == "name":
        for resource, objects in groups:
            for obj in objects:
                echo(printers.name_line(resource, obj))
    else:
        tables = [printers.render_table(resource, objects, now, output == "wide")
                  for resource, objects in groups if objects]
        if tables:
            echo("\n\n".join(tables))
        elif not named:
            echo(no_resources(namespace, pairs[0][0].namespaced), err=True)
    return 1 if failed else 0


def _list(client: Client, resource: Resource, namespace: str,
          selector: str | None) -> list[dict]:
    params = {"labelSelector": selector} if selector else None
    return client.list(object_path(resource, namespace), params)
