"""Role bindings, access tokens, `whoami` and `kubectl auth can-i`.

An access review's models are imported when one is asked for: every cold start loads this
module with the route table."""
from __future__ import annotations

from collections.abc import Collection

from ..domain.errors import Invalid
from ..domain.rbac import groups_of
from ..domain.validation import required
from ..resources.meta import AUTHORIZATION_GROUP, IMAGESTREAMS_GROUP, RBAC_GROUP, USER_GROUP
from ..resources.rbac import AccessToken, AccessTokenList, RoleBinding, RoleBindingList
from ..services.access import CLUSTERROLEBINDINGS, ROLEBINDINGS, TOKENS
from ..wiring import Services
from .bodies import read_object
from .catalogue import access_name
from .route import Call, Reply
from .status import success_status

ACCESS_REVIEWS = f"selfsubjectaccessreviews.{AUTHORIZATION_GROUP}"


def _namespace(call: Call) -> str | None:
    return call.path.get("namespace")


def list_bindings(services: Services, call: Call) -> Reply:
    namespace = _namespace(call)
    items = services.access.list_bindings(namespace)
    kind = "RoleBindingList" if namespace else "ClusterRoleBindingList"
    return 200, RoleBindingList(kind=kind, items=items).to_json()


def create_binding(services: Services, call: Call) -> Reply:
    namespace = _namespace(call)
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    body = read_object(RoleBinding, call.body, call.headers, kind,
                       ROLEBINDINGS if namespace else CLUSTERROLEBINDINGS)
    return 201, services.access.create_binding(namespace, body).to_json()


def get_binding(services: Services, call: Call) -> Reply:
    return 200, services.access.get_binding(_namespace(call), call.name).to_json()


def delete_binding(services: Services, call: Call) -> Reply:
    namespace = _namespace(call)
    services.access.delete_binding(namespace, call.name)
    return 200, success_status("rolebindings" if namespace else "clusterrolebindings",
                               call.name, group=RBAC_GROUP)


def list_tokens(services: Services, call: Call) -> Reply:
    return 200, AccessTokenList(items=services.access.list_tokens(_namespace(call))).to_json()


def create_token(services: Services, call: Call) -> Reply:
    body = read_object(AccessToken, call.body, call.headers, "AccessToken", TOKENS)
    return 201, services.access.create_token(body, _namespace(call)).to_json()


def revoke_token(services: Services, call: Call) -> Reply:
    services.access.revoke_token(call.name, _namespace(call))
    return 200, success_status("accesstokens", call.name, group=IMAGESTREAMS_GROUP)


def review_own_access(services: Services, call: Call, open_paths: Collection[str]) -> Reply:
    """A SelfSubjectAccessReview (`kubectl auth can-i`), decided by the API's own rules;
    of paths that are no resource, anyone may get `open_paths`."""
    from ..resources.access_review import SelfSubjectAccessReview, SubjectAccessReviewStatus
    body = read_object(SelfSubjectAccessReview, call.body, call.headers,
                       "SelfSubjectAccessReview", ACCESS_REVIEWS)
    resource, other = body.spec.resource_attributes, body.spec.non_resource_attributes
    if resource is not None:
        plural = f"{resource.resource}/{resource.subresource}" if resource.subresource \
            else resource.resource
        name = access_name(resource.group, plural)
        allowed = name is not None and services.access.may(
            call.subject, resource.namespace or None, name, resource.verb)
    elif other is not None:
        allowed = other.verb == "get" and other.path in open_paths
    else:
        raise Invalid(ACCESS_REVIEWS, "", [required(
            "spec.resourceAttributes", "exactly one of resourceAttributes or "
            "nonResourceAttributes is required")])
    answer = body.model_copy(update={"status": SubjectAccessReviewStatus(allowed=allowed)})
    return 201, answer.to_json()


def whoami(_: Services, call: Call) -> Reply:
    return 200, {"kind": "User", "apiVersion": f"{USER_GROUP}/v1",
                 "metadata": {"name": call.subject}, "groups": list(groups_of(call.subject))}
