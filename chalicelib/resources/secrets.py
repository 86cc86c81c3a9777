"""Kubernetes Secret (core v1), as far as registry credentials need it."""
from __future__ import annotations

from pydantic import Field

from .meta import ListMeta, Model, ObjectMeta

DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"
DOCKER_CFG = "kubernetes.io/dockercfg"
DATA_KEYS = {DOCKER_CONFIG_JSON: ".dockerconfigjson", DOCKER_CFG: ".dockercfg"}


class Secret(Model):
    """On input `data` (base64) or `stringData`; answers never carry either."""

    kind: str = "Secret"
    api_version: str = Field(default="v1", alias="apiVersion")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    type: str | None = None
    data: dict[str, str] | None = None
    string_data: dict[str, str] | None = Field(default=None, alias="stringData")

    def __repr__(self) -> str:  # a value must never reach a log line through a repr
        return f"Secret(name={self.metadata.name!r}, type={self.type!r})"

    __str__ = __repr__


class SecretList(Model):
    kind: str = "SecretList"
    api_version: str = Field(default="v1", alias="apiVersion")
    metadata: ListMeta = Field(default_factory=ListMeta)
    items: list[Secret] = Field(default_factory=list)
