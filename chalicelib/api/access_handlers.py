"""Role bindings, access tokens and `whoami`."""
from __future__ import annotations

from typing import Optional

from ..domain.rbac import groups_of
from ..resources.rbac import (RBAC_GROUP, TOKENS_GROUP, AccessToken, AccessTokenList,
                              RoleBinding, RoleBindingList)
from ..services.access import CLUSTERROLEBINDINGS, ROLEBINDINGS, TOKENS
from ..wiring import Services
from .bodies import read_object
from .route import Call, Reply
from .status import success_status


def _namespace(call: Call) -> Optional[str]:
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
    return 200, success_status("accesstokens", call.name, group=TOKENS_GROUP)


def whoami(_: Services, call: Call) -> Reply:
    return 200, {"kind": "User", "apiVersion": "user.openshift.io/v1",
                 "metadata": {"name": call.subject}, "groups": list(groups_of(call.subject))}
