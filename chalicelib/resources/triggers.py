"""ImageStreamTrigger: a subscription of an endpoint to a stream's tag changes (an extension)."""
from __future__ import annotations

from pydantic import Field

from .meta import API_VERSION, ListMeta, Model, ObjectMeta


class TriggerEndpoint(Model):
    protocol: str  # sqs, lambda or https
    endpoint: str  # queue or function ARN, or https URL


class ImageStreamTriggerSpec(Model):
    tags: list[str] | None = None  # none: every tag of the stream
    types: list[str] | None = None  # none: every type (Created, Updated, Deleted, Held)
    endpoint: TriggerEndpoint


class ImageStreamTriggerStatus(Model):
    subscription_arn: str = Field(default="", alias="subscriptionArn")
    pending_confirmation: bool = Field(default=False, alias="pendingConfirmation")
    filter_policy: dict | None = Field(default=None, alias="filterPolicy")


class ImageStreamTrigger(Model):
    kind: str = "ImageStreamTrigger"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ImageStreamTriggerSpec
    status: ImageStreamTriggerStatus | None = None


class ImageStreamTriggerList(Model):
    kind: str = "ImageStreamTriggerList"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ListMeta = Field(default_factory=ListMeta)
    items: list[ImageStreamTrigger] = Field(default_factory=list)
