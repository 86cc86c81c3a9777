"""Discovery documents, so generic Kubernetes clients can find the resources.

The resources and their verbs come from the route table and the catalogue.
"""
from __future__ import annotations

from typing import Any

from ..resources.meta import API_GROUP, API_VERSION
from .catalogue import CATALOGUE, Resource
from .route import RouteTable

SERVICE_VERSION = "0.1.0"
_VERSION_ENTRY = {"groupVersion": API_VERSION, "version": "v1"}


def api_versions() -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}]}


def core_resources(routes: RouteTable) -> dict[str, Any]:
    """Of the core group only secrets, which hold registry credentials for imports."""
    return _resource_list("v1", routes)


def api_group() -> dict[str, Any]:
    return {"kind": "APIGroup", "apiVersion": "v1", "name": API_GROUP,
            "versions": [_VERSION_ENTRY], "preferredVersion": _VERSION_ENTRY}


def api_groups() -> dict[str, Any]:
    group = api_group()
    del group["kind"], group["apiVersion"]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group]}


def group_resources(routes: RouteTable) -> dict[str, Any]:
    return _resource_list(API_VERSION, routes)


def version() -> dict[str, Any]:
    return {"major": "1", "minor": "30", "gitVersion": f"v{SERVICE_VERSION}",
            "platform": "aws-lambda", "product": "imagestreams"}


def verbs_of(routes: RouteTable) -> dict[str, list[str]]:
    """Each resource's verbs, over every path that serves it, sorted."""
    verbs: dict[str, set[str]] = {}
    for methods in routes.values():
        for route in methods.values():
            if route.verb is not None and route.resource in CATALOGUE:
                verbs.setdefault(route.resource, set()).add(route.verb)
                if route.watch is not None:
                    verbs[route.resource].add("watch")
    return {resource: sorted(found) for resource, found in verbs.items()}


def _resource_list(group_version: str, routes: RouteTable) -> dict[str, Any]:
    verbs = verbs_of(routes)
    resources = [_entry(resource, verbs[key]) for key, resource in CATALOGUE.items()
                 if resource.discovered and resource.group_version == group_version
                 and key in verbs]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": resources}


def _entry(resource: Resource, verbs: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": resource.plural, "singularName": resource.singular,
                             "namespaced": resource.namespaced, "kind": resource.kind,
                             "verbs": verbs}
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    return entry
