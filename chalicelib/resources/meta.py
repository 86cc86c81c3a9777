"""Kubernetes object metadata, list metadata and the Status error body."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

# The API groups served here.
API_GROUP = "image.openshift.io"
USER_GROUP = "user.openshift.io"  # `oc whoami` reads users/~ there
RBAC_GROUP = "rbac.authorization.k8s.io"
AUTHORIZATION_GROUP = "authorization.k8s.io"
IMAGESTREAMS_GROUP = "imagestreams.dev"  # this service's own: access tokens, prune runs
API_VERSION = f"{API_GROUP}/v1"
# Manifests written for OpenShift 3 use the legacy group-less version.
ACCEPTED_API_VERSIONS = (API_VERSION, "v1")


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with second precision, as Kubernetes writes metav1.Time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    utc = value.astimezone(UTC)
    # not strftime: its %Y does not pad years before 1000 (Go's zero time is 0001-01-01)
    return utc.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def _parse_time(value: Any) -> Any:
    if isinstance(value, str) and value.endswith("Z"):
        return value[:-1] + "+00:00"
    return value


Time = Annotated[
    datetime,
    BeforeValidator(_parse_time),
    PlainSerializer(format_time, return_type=str, when_used="json-unless-none"),
]


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Model(BaseModel):
    """Base of every resource model: camelCase names as sent, unknown fields dropped."""

    # Validators and serializers are built on a model's first use, not when it is defined:
    # a cold start builds those of the models its request uses, not all of them.
    model_config = ConfigDict(populate_by_name=True, extra="ignore", defer_build=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ObjectMeta(Model):
    name: str | None = None
    generate_name: str | None = Field(default=None, alias="generateName")
    namespace: str | None = None
    uid: str | None = None
    resource_version: str | None = Field(default=None, alias="resourceVersion")
    generation: int | None = None
    creation_timestamp: Time | None = Field(default=None, alias="creationTimestamp")
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class ListMeta(Model):
    resource_version: str | None = Field(default=None, alias="resourceVersion")
    continue_: str | None = Field(default=None, alias="continue")
    remaining_item_count: int | None = Field(default=None, alias="remainingItemCount")


class StatusCause(Model):
    reason: str
    message: str
    field: str | None = None


class StatusDetails(Model):
    name: str | None = None
    group: str | None = None
    kind: str | None = None
    causes: list[StatusCause] | None = None
    retry_after_seconds: int | None = Field(default=None, alias="retryAfterSeconds")


class Status(Model):
    kind: str = "Status"
    api_version: str = Field(default="v1", alias="apiVersion")
    metadata: dict[str, Any] = Field(default_factory=dict)
    status: str = "Failure"
    # Every failure has both; a deletion's Success Status has neither, as in Kubernetes.
    message: str | None = None
    reason: str | None = None
    details: StatusDetails | None = None
    code: int
