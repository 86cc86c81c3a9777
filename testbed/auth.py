"""Acting as a cluster admin in tests of routes that are not about access control."""
from __future__ import annotations

from chalicelib.resources.rbac import AccessToken, RoleBinding
from chalicelib.wiring import Services

ADMIN = "test-admin"


def grant(services: Services, subject: str, role: str, namespace: str | None = None) -> str:
    """Bind `role` to the user `subject` (cluster-wide when `namespace` is None) and return
    a fresh token of theirs."""
    access = services.access
    name = f"{subject}-{role}".replace(":", "-")
    if access.bindings.get_binding(namespace, name) is None:
        access.create_binding(namespace, RoleBinding.model_validate({
            "metadata": {"name": name}, "roleRef": {"kind": "ClusterRole", "name": role},
            "subjects": [{"kind": "User", "name": subject}]}))
    body = AccessToken.model_validate({"spec": {"subject": subject}})
    status = access.create_token(body, None).status
    assert status is not None and status.token is not None  # a new token is shown once, here
    return status.token


def admin_headers(services: Services) -> dict[str, str]:
    return {"authorization": f"Bearer {grant(services, ADMIN, 'cluster-admin')}"}
