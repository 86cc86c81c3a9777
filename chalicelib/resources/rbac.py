"""RoleBinding and ClusterRoleBinding (rbac.authorization.k8s.io/v1), and access tokens."""
from __future__ import annotations

from pydantic import Field

from .meta import IMAGESTREAMS_GROUP, RBAC_GROUP, ListMeta, Model, ObjectMeta, Time

RBAC_VERSION = f"{RBAC_GROUP}/v1"
TOKENS_VERSION = f"{IMAGESTREAMS_GROUP}/v1"


class Subject(Model):
    # Any string, so that another kind is refused with a cause naming subjects[i].kind.
    kind: str = Field(description="User, ServiceAccount or Group")
    name: str
    namespace: str | None = Field(default=None,
                                     description="of a ServiceAccount; the binding's own if "
                                                 "left out")
    # As Kubernetes writes User and Group subjects: rbac.authorization.k8s.io. Kept as sent.
    api_group: str | None = Field(default=None, alias="apiGroup")


class RoleRef(Model):
    api_group: str = Field(default="rbac.authorization.k8s.io", alias="apiGroup")
    kind: str = "ClusterRole"
    name: str


class RoleBinding(Model):
    kind: str = "RoleBinding"
    api_version: str = Field(default=RBAC_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    role_ref: RoleRef = Field(alias="roleRef")
    subjects: list[Subject] = Field(default_factory=list)


class RoleBindingList(Model):
    kind: str = "RoleBindingList"
    api_version: str = Field(default=RBAC_VERSION, alias="apiVersion")
    metadata: ListMeta = Field(default_factory=ListMeta)
    items: list[RoleBinding] = Field(default_factory=list)


class AccessTokenSpec(Model):
    subject: str  # "alice" or "system:serviceaccount:<namespace>:<name>"
    expiration_timestamp: Time | None = Field(default=None, alias="expirationTimestamp")


class AccessTokenStatus(Model):
    token: str | None = None  # only in the answer to the create that made it


class AccessToken(Model):
    kind: str = "AccessToken"
    api_version: str = Field(default=TOKENS_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: AccessTokenSpec
    status: AccessTokenStatus | None = None


class AccessTokenList(Model):
    kind: str = "AccessTokenList"
    api_version: str = Field(default=TOKENS_VERSION, alias="apiVersion")
    metadata: ListMeta = Field(default_factory=ListMeta)
    items: list[AccessToken] = Field(default_factory=list)
