"""Where the OpenAPI documents are served and in which media types: what the route table
and the response need at every start, apart from api/openapi.py, which builds the documents
(and every model's schema) only when one is first asked for."""
from __future__ import annotations

from .catalogue import CATALOGUE
from .route import Route, RouteTable

# The protobuf form's media type as kube-apiserver answers it, and as clients ask for it:
# kubectl's Accept still spells it with an '@', which Go's mime parser refuses in the answer.
V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
V2_PROTOBUF_ACCEPTED = (V2_PROTOBUF, "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")


def resource_paths(routes: RouteTable) -> dict[str, dict[str, dict[str, Route]]]:
    """Per group-version, its resources' routes (path: method: route), in the table's order."""
    found: dict[str, dict[str, dict[str, Route]]] = {}
    for path, methods in routes.items():
        for method, route in methods.items():
            resource = CATALOGUE.get(route.resource)
            if resource is not None:
                found.setdefault(resource.group_version, {}).setdefault(path, {})[method] = route
    return found


def index_key(group_version: str) -> str:
    """As Kubernetes keys its index: api/v1 for the core group, apis/<group>/<version>."""
    return f"apis/{group_version}" if "/" in group_version else f"api/{group_version}"


def group_version_paths(routes: RouteTable) -> dict[str, str]:
    """Where each group-version's document is served, as the index lists them, e.g.
    "/openapi/v3/apis/image.openshift.io/v1": "image.openshift.io/v1"."""
    return {f"/openapi/v3/{index_key(group_version)}": group_version
            for group_version in resource_paths(routes)}
