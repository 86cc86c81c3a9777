"""SelfSubjectAccessReview (authorization.k8s.io/v1): `kubectl auth can-i`."""
from __future__ import annotations

from pydantic import Field

from .meta import AUTHORIZATION_GROUP, Model, ObjectMeta

AUTHORIZATION_VERSION = f"{AUTHORIZATION_GROUP}/v1"


class ResourceAttributes(Model):
    namespace: str = ""
    verb: str = ""
    group: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""


class NonResourceAttributes(Model):
    path: str = ""
    verb: str = ""


class SelfSubjectAccessReviewSpec(Model):
    resource_attributes: ResourceAttributes | None = Field(
        default=None, alias="resourceAttributes")
    non_resource_attributes: NonResourceAttributes | None = Field(
        default=None, alias="nonResourceAttributes")


class SubjectAccessReviewStatus(Model):
    allowed: bool
    denied: bool | None = None
    reason: str | None = None


class SelfSubjectAccessReview(Model):
    kind: str = "SelfSubjectAccessReview"
    api_version: str = Field(default=AUTHORIZATION_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: SelfSubjectAccessReviewSpec
    status: SubjectAccessReviewStatus | None = None
