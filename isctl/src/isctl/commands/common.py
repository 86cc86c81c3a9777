"""Helpers the commands share: naming objects on the command line, fetching them."""
from __future__ import annotations

import click

from ..errors import CliError
from ..http import Client
from ..resources import COMMON_NAMES, Resource, lookup


def complete_types(ctx: click.Context, param: click.Parameter,
                   incomplete: str) -> list[str]:
    """Shell completion of the first argument of get, describe and delete: a resource type."""
    if ctx.params.get(param.name or ""):
        return []  # a name follows the type: the server knows those, not the shell
    return [name for name in COMMON_NAMES if name.startswith(incomplete)]


def targets(args: tuple[str, ...]) -> list[tuple[Resource, str | None]]:
    """`TYPE[,TYPE] [NAME...]` or `TYPE/NAME...` as (resource, name or None) pairs."""
    if not args:
        raise click.UsageError("You must specify the type of resource to get.")
    if "/" in args[0]:
        pairs: list[tuple[Resource, str | None]] = []
        for arg in args:
            kind, _, name = arg.partition("/")
            if not name or not kind:
                raise click.UsageError(f'arguments in resource/name form must have a single '
                                       f'resource and name: "{arg}"')
            pairs.append((lookup(kind), name))
        return pairs
    resources = [lookup(kind) for kind in args[0].split(",") if kind]
    names = list(args[1:])
    if names and len(resources) > 1:
        raise click.UsageError("you must specify only one resource type when naming objects")
    if not names:
        return [(resource, None) for resource in resources]
    return [(resources[0], name) for name in names]


def object_path(resource: Resource, namespace: str, name: str = "") -> str:
    return resource.path(namespace, name)


def fetch(client: Client, resource: Resource, namespace: str, name: str) -> dict:
    return client.get(object_path(resource, namespace, name))


def no_resources(namespace: str, namespaced: bool) -> str:
    return f"No resources found in {namespace} namespace." if namespaced else "No resources found"


def check_istag_name(name: str) -> None:
    """oc's ParseImageStreamTagName errors, worded as oc words them."""
    if "@" in name:
        raise CliError(f'"{name}" is an image stream image, not an image stream tag')
    parts = name.split(":")
    if len(parts) != 2:
        raise CliError(f'expected exactly one : delimiter in the istag "{name}"')
    if not parts[0] or not parts[1]:
        raise CliError(f'image stream tag name "{name}" must have a name and a tag')
