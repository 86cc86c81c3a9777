"""Every route: its path, and per method the verb, the resource and the handler.

This table is the one place routes are declared: app.py registers each path with Chalice
from it, access is decided from it (api/access.py reads the verb and resource), and
discovery and /openapi/v3 describe it, so a route missing here cannot be served.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from .. import console
from . import access_handlers as a
from . import discovery
from . import handlers as h
from . import prune_handlers as prune
from .catalogue import DISCOVERY, REGISTRY_TOKENS, UNKNOWN, WEBHOOKS
from .openapi_paths import V2_PROTOBUF_ACCEPTED, group_version_paths
from .push_handlers import receive_registry_events
from .registry_token_handlers import issue_registry_token
from .route import Call, Handler, Reply, Route, RouteTable
from .watch import watch_stream_tags, watch_streams

GROUP = "/apis/image.openshift.io/v1"
NAMESPACED = GROUP + "/namespaces/{namespace}"
CORE_NAMESPACED = "/api/v1/namespaces/{namespace}"
RBAC = "/apis/rbac.authorization.k8s.io/v1"
IMAGESTREAMS_DEV = "/apis/imagestreams.dev/v1"  # this service's own group: tokens, prune runs
WHOAMI = "/apis/user.openshift.io/v1/users/~"
ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
MAX_UNKNOWN_DEPTH = 10  # catch-all routes answer deeper unknown paths with a 404 Status


def _open(handler: Handler, media_types: tuple[str, ...] = ("application/json",)
          ) -> dict[str, Route]:
    return {"GET": Route(None, DISCOVERY, handler, media_types=media_types)}


def _describing(document: Callable[[RouteTable], dict[str, Any]]) -> Handler:
    """A handler answering a document made from this table (read when called)."""
    return lambda _services, _call: (200, document(ROUTES))


@cache
def _open_paths() -> frozenset[str]:
    """The paths anyone may GET: the documents and the health check."""
    return frozenset(path for path, methods in ROUTES.items()
                     if methods.get("GET") is not None and methods["GET"].verb is None)


# The OpenAPI documents are built on first request (they build every model's schema), once;
# api/openapi.py is imported then too, not at every cold start.
@cache
def _openapi() -> dict[str, Any]:
    from . import openapi
    return openapi.document(ROUTES)


@cache
def _openapi_index() -> dict[str, Any]:
    from . import openapi
    return openapi.index(ROUTES)


@cache
def _group_version_document(group_version: str) -> dict[str, Any]:
    from . import openapi
    return openapi.group_version_document(ROUTES, group_version)


def _describing_group_version(group_version: str) -> Handler:
    """A handler answering the OpenAPI document of `group_version` (built when called)."""
    return lambda _services, _call: (200, _group_version_document(group_version))


@cache
def _swagger_v2(protobuf: bool) -> Any:
    from . import openapi
    return openapi.swagger_v2_protobuf(ROUTES) if protobuf else openapi.swagger_v2(ROUTES)


def _get_swagger_v2(_services: Any, call: Call) -> Reply:
    """JSON, or protobuf (bytes) where the Accept header asks for it, as kubectl's does."""
    accept = call.headers.get("accept", "")
    return 200, _swagger_v2(any(media in accept for media in V2_PROTOBUF_ACCEPTED))


ROUTES: dict[str, dict[str, Route]] = {
    "/api": _open(h.get_api),
    "/api/v1": _open(_describing(discovery.core_resources)),
    "/apis": _open(h.get_apis),
    "/apis/image.openshift.io": _open(h.get_group),
    GROUP: _open(_describing(discovery.group_resources)),
    "/version": _open(h.get_version),
    "/healthz": _open(h.get_health),
    "/openapi/v2": _open(_get_swagger_v2),
    "/openapi/v3": _open(lambda _services, _call: (200, _openapi_index())),
    "/openapi/v3/imagestreams.json": _open(lambda _services, _call: (200, _openapi())),
    # The web console (chalicelib/console): a static page and its assets; its data comes
    # from the routes below with the signed-in user's token.
    console.PAGE_PATH: _open(console.get_page, ("text/html",)),
    console.PAGE_PATH + "/assets/{name}": _open(console.get_asset, console.ASSET_MEDIA_TYPES),
    NAMESPACED + "/imagestreams": {
        "GET": Route("list", "imagestreams", h.list_streams, watch=watch_streams),
        "POST": Route("create", "imagestreams", h.create_stream),
    },
    NAMESPACED + "/imagestreams/{name}": {
        "GET": Route("get", "imagestreams", h.get_stream),
        "PUT": Route("update", "imagestreams", h.replace_stream),
        "PATCH": Route("patch", "imagestreams", h.patch_stream),
        "DELETE": Route("delete", "imagestreams", h.delete_stream),
    },
    NAMESPACED + "/imagestreams/{name}/triggers": {
        "GET": Route("list", "imagestreams/triggers", h.list_triggers),
        "POST": Route("create", "imagestreams/triggers", h.create_trigger),
    },
    NAMESPACED + "/imagestreams/{name}/triggers/{trigger}": {
        "GET": Route("get", "imagestreams/triggers", h.get_trigger),
        "DELETE": Route("delete", "imagestreams/triggers", h.delete_trigger),
    },
    NAMESPACED + "/imagestreamtags": {
        "GET": Route("list", "imagestreamtags", h.list_stream_tags, watch=watch_stream_tags),
        "POST": Route("create", "imagestreamtags", h.create_stream_tag),
    },
    NAMESPACED + "/imagestreamtags/{name}": {
        "GET": Route("get", "imagestreamtags", h.get_stream_tag),
        "POST": Route("create", "imagestreamtags", h.create_named_stream_tag),
        "PUT": Route("update", "imagestreamtags", h.put_stream_tag),
        "PATCH": Route("patch", "imagestreamtags", h.patch_stream_tag),
        "DELETE": Route("delete", "imagestreamtags", h.delete_stream_tag),
    },
    # A tag's whole history, newest first, page by page (limit, continue); a stream's
    # status shows each tag's recent events only.
    NAMESPACED + "/imagestreamtags/{name}/history": {
        "GET": Route("get", "imagestreamtags/history", h.get_tag_history),
    },
    NAMESPACED + "/imagestreamimages/{name}": {
        "GET": Route("get", "imagestreamimages", h.get_stream_image),
    },
    NAMESPACED + "/imagestreammappings": {
        "POST": Route("create", "imagestreammappings", h.create_mapping),
    },
    NAMESPACED + "/imagestreamimports": {
        "POST": Route("create", "imagestreamimports", h.create_stream_import),
    },
    CORE_NAMESPACED + "/secrets": {
        "GET": Route("list", "secrets", h.list_secrets),
        "POST": Route("create", "secrets", h.create_secret),
    },
    CORE_NAMESPACED + "/secrets/{name}": {
        "GET": Route("get", "secrets", h.get_secret),
        "DELETE": Route("delete", "secrets", h.delete_secret),
    },
    RBAC + "/namespaces/{namespace}/rolebindings": {
        "GET": Route("list", "rolebindings", a.list_bindings),
        "POST": Route("create", "rolebindings", a.create_binding),
    },
    RBAC + "/namespaces/{namespace}/rolebindings/{name}": {
        "GET": Route("get", "rolebindings", a.get_binding),
        "DELETE": Route("delete", "rolebindings", a.delete_binding),
    },
    RBAC + "/clusterrolebindings": {
        "GET": Route("list", "clusterrolebindings", a.list_bindings),
        "POST": Route("create", "clusterrolebindings", a.create_binding),
    },
    RBAC + "/clusterrolebindings/{name}": {
        "GET": Route("get", "clusterrolebindings", a.get_binding),
        "DELETE": Route("delete", "clusterrolebindings", a.delete_binding),
    },
    IMAGESTREAMS_DEV + "/accesstokens": {
        "GET": Route("list", "tokens", a.list_tokens),
        "POST": Route("create", "tokens", a.create_token),
    },
    IMAGESTREAMS_DEV + "/accesstokens/{name}": {
        "DELETE": Route("delete", "tokens", a.revoke_token)},
    IMAGESTREAMS_DEV + "/namespaces/{namespace}/accesstokens": {
        "GET": Route("list", "tokens", a.list_tokens),
        "POST": Route("create", "tokens", a.create_token),
    },
    IMAGESTREAMS_DEV + "/namespaces/{namespace}/accesstokens/{name}": {
        "DELETE": Route("delete", "tokens", a.revoke_token),
    },
    # Cluster-scoped: only cluster roles reach them (domain/rbac.py).
    IMAGESTREAMS_DEV + "/imagepruneruns": {
        "GET": Route("list", "imagepruneruns", prune.list_prune_runs),
        "POST": Route("create", "imagepruneruns", prune.create_prune_run),
    },
    IMAGESTREAMS_DEV + "/imagepruneruns/{name}": {
        "GET": Route("get", "imagepruneruns", prune.get_prune_run),
    },
    WHOAMI: {"GET": Route("get", "users", a.whoami)},
    ACCESS_REVIEWS: {"POST": Route(
        "create", "selfsubjectaccessreviews",
        lambda services, call: a.review_own_access(services, call, _open_paths()))},
    # Authenticated by the registry's shared secret, not a user's token.
    "/webhooks/registry": {"POST": Route(None, WEBHOOKS, receive_registry_events)},
    # The integrated registry's token endpoint: it authenticates the caller's token itself.
    "/registry/token": {"GET": Route(None, REGISTRY_TOKENS, issue_registry_token)},
    GROUP + "/images": {"GET": Route("list", "images", h.list_images)},
    # Every namespace's, for callers with a cluster role (kubectl get -A).
    GROUP + "/imagestreams": {"GET": Route("list", "imagestreams", h.list_streams,
                                           watch=watch_streams)},
    GROUP + "/imagestreamtags": {"GET": Route("list", "imagestreamtags", h.list_stream_tags,
                                              watch=watch_stream_tags)},
    GROUP + "/images/{name}": {"GET": Route("get", "images", h.get_image)},
}

# Each group-version's OpenAPI document at the literal path the index names: a path the
# index does not name is answered 404 by the catch-all routes, as Kubernetes does.
for _path, _group_version in group_version_paths(ROUTES).items():
    ROUTES[_path] = _open(_describing_group_version(_group_version))


def view_name(path: str) -> str:
    """A Chalice view name for `path`, unique per path: its words joined by underscores."""
    return "_".join(re.findall(r"[A-Za-z0-9]+", path)) or "root"


UNKNOWN_PATHS = ["/" + "/".join(f"{{p{i}}}" for i in range(depth))
                 for depth in range(1, MAX_UNKNOWN_DEPTH + 1)]
NOT_FOUND = Route(None, UNKNOWN, h.not_found)
