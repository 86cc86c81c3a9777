"""Discovery documents, so generic Kubernetes clients can find the resources."""
from __future__ import annotations

from ..resources.meta import API_GROUP, API_VERSION

SERVICE_VERSION = "0.1.0"
_VERSION_ENTRY = {"groupVersion": API_VERSION, "version": "v1"}
_READ = ["get", "list"]
_RESOURCES = [
    ("imagestreams", "ImageStream", True, ["create", "delete", "get", "list", "patch", "update"],
     ["is"]),
    ("imagestreams/triggers", "ImageStreamTrigger", True, ["create", "delete", "get", "list"],
     []),
    ("imagestreamtags", "ImageStreamTag", True, ["create", "delete", "get", "list", "update"],
     ["istag"]),
    ("imagestreamimages", "ImageStreamImage", True, ["get"], ["isimage"]),
    ("imagestreammappings", "ImageStreamMapping", True, ["create"], []),
    ("imagestreamimports", "ImageStreamImport", True, ["create"], []),
    ("images", "Image", False, _READ, []),
]


def api_versions() -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}]}


def core_resources() -> dict:
    """Of the core group only secrets, which hold registry credentials for imports."""
    secrets = {"name": "secrets", "singularName": "secret", "namespaced": True,
               "kind": "Secret", "verbs": ["create", "delete", "get", "list"]}
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1",
            "resources": [secrets]}


def api_group() -> dict:
    return {"kind": "APIGroup", "apiVersion": "v1", "name": API_GROUP,
            "versions": [_VERSION_ENTRY], "preferredVersion": _VERSION_ENTRY}


def api_groups() -> dict:
    group = api_group()
    del group["kind"], group["apiVersion"]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group]}


def group_resources() -> dict:
    resources = []
    for name, kind, namespaced, verbs, short in _RESOURCES:
        entry = {"name": name, "singularName": kind.lower(), "namespaced": namespaced,
                 "kind": kind, "verbs": verbs}
        if short:
            entry["shortNames"] = short
        resources.append(entry)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": API_VERSION,
            "resources": resources}


def version() -> dict:
    return {"major": "1", "minor": "30", "gitVersion": f"v{SERVICE_VERSION}",
            "platform": "aws-lambda", "product": "imagestreams"}
