"""Who may do what: the roles, their rules, and the decision. Pure: bindings come in."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CLUSTER_ROLES = ("cluster-admin", "cluster-reader")
# The pusher role is OpenShift's system:image-pusher (its system:image-builder and
# registry-editor hold the same): pull, and push, which is creating ImageStreamMappings.
IMAGE_PUSHER = "system:image-pusher"
IMAGE_PULLER = "system:image-puller"
NAMESPACE_ROLES = ("admin", "edit", "view", IMAGE_PULLER, IMAGE_PUSHER)
ROLES = CLUSTER_ROLES + NAMESPACE_ROLES
READ = frozenset({"get", "list", "watch"})
WRITE = frozenset({"create", "update", "patch", "delete"})
ALL = READ | WRITE
STREAM_CONTENT = ("imagestreams", "imagestreamtags", "imagestreamimages")
EDITED = ("imagestreams", "imagestreamtags", "imagestreamimports", "imagestreams/triggers",
          "imagestreamtags/history")
# A mapping records an image by digest, with whatever metadata the image already has: the
# registry's privilege (a push), not edit's, or a digest seen elsewhere would show another
# namespace's image config. admin holds it; the registry webhook and the ECR push functions
# act as the registry itself.
ADMINISTERED = EDITED + ("imagestreammappings", "imagestreamimages", "rolebindings", "secrets",
                         "tokens")
PULL = {"imagestreamtags": frozenset({"get"}), "imagestreamimages": frozenset({"get"})}
PUSH = {"imagestreammappings": frozenset({"create"})}

# resource: verbs, per namespace role. Cluster-scoped resources need a cluster role.
RULES: dict[str, dict[str, frozenset[str]]] = {
    "admin": {resource: ALL for resource in ADMINISTERED},
    "edit": {**{resource: ALL for resource in EDITED}, "imagestreamimages": READ},
    "view": {**{resource: READ for resource in STREAM_CONTENT}, "imagestreams/triggers": READ,
             "imagestreamtags/history": READ},
    IMAGE_PULLER: PULL,
    IMAGE_PUSHER: {**PULL, **PUSH},
}
SERVICE_ACCOUNT = re.compile(r"system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):"
                             r"([a-z0-9]([-a-z0-9]*[a-z0-9])?)")
USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._-]{0,252}")
MAX_GROUP_NAME = 253
# The groups Kubernetes puts every authenticated user, and service accounts, in.
AUTHENTICATED = "system:authenticated"
SERVICE_ACCOUNTS = "system:serviceaccounts"


@dataclass(frozen=True)
class Binding:
    """One role granted to one subject, cluster-wide (namespace None) or in a namespace."""

    subject: str
    role: str
    namespace: str | None = None


def subject_error(subject: str) -> str | None:
    """Why `subject` is not a user or service account name, or None."""
    if subject.startswith("system:"):
        return None if SERVICE_ACCOUNT.fullmatch(subject) else (
            "service accounts are named system:serviceaccount:<namespace>:<name>")
    return None if USER.fullmatch(subject) else (
        "user names are 1-253 letters, digits, '@', '.', '_' or '-'")


def group_error(name: str) -> str | None:
    """Why `name` cannot name a group, or None."""
    if not name or len(name) > MAX_GROUP_NAME or "/" in name or "%" in name:
        return (f"group names are 1-{MAX_GROUP_NAME} characters and may not contain '/' "
                "or '%'")
    return None


def groups_of(subject: str) -> tuple[str, ...]:
    """The groups an authenticated subject is in. There is no group store: a user is in
    system:authenticated only; a service account also in system:serviceaccounts and in
    system:serviceaccounts:<its namespace>, as in Kubernetes."""
    namespace = service_account_namespace(subject)
    if namespace is None:
        return (AUTHENTICATED,)
    return (AUTHENTICATED, SERVICE_ACCOUNTS, f"{SERVICE_ACCOUNTS}:{namespace}")


def service_account_namespace(subject: str) -> str | None:
    match = SERVICE_ACCOUNT.fullmatch(subject)
    return match.group(1) if match else None


def allowed(bindings: Iterable[Binding], namespace: str | None, resource: str,
            verb: str) -> bool:
    """Whether the subject holding `bindings` may `verb` `resource` (in `namespace`)."""
    for binding in bindings:
        if binding.role == "cluster-admin" and binding.namespace is None:
            return True
        if binding.role == "cluster-reader" and binding.namespace is None and verb in READ \
                and resource not in ("secrets", "tokens"):
            return True
        # A namespace role bound cluster-wide (namespace None) holds in every namespace.
        if namespace is not None and binding.namespace in (namespace, None) and \
                verb in RULES.get(binding.role, {}).get(resource, frozenset()):
            return True
    return False


def may_pull_from(bindings: Iterable[Binding], namespace: str) -> bool:
    """Pulling a namespace's images (tagging or importing from its streams, a registry
    pull) needs at least system:image-puller there."""
    return allowed(bindings, namespace, "imagestreamimages", "get")


def may_push_to(bindings: Iterable[Binding], namespace: str) -> bool:
    """Pushing to a namespace's streams (an ImageStreamMapping, a registry push) needs
    system:image-pusher there, or admin."""
    return allowed(bindings, namespace, "imagestreammappings", "create")
