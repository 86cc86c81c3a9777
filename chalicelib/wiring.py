"""Builds the services once per process, from the environment, lazily."""
from __future__ import annotations

import os
from functools import cached_property
from typing import Optional

from .services.images import ImageService
from .services.ports import StreamStore
from .services.stream_tags import StreamTagService
from .services.streams import StreamService


class Services:
    """The use cases over one store; routes receive this, tests build their own."""

    def __init__(self, store: StreamStore, registry: str = ""):
        self.store = store
        self.registry = registry

    @cached_property
    def streams(self) -> StreamService:
        return StreamService(self.store, self.registry)

    @cached_property
    def tags(self) -> StreamTagService:
        return StreamTagService(self.store, self.registry)

    @cached_property
    def images(self) -> ImageService:
        return ImageService(self.store)


_current: Optional[Services] = None


def _from_environment() -> Services:
    registry = os.environ.get("INTEGRATED_REGISTRY", "")
    if os.environ.get("IMAGESTREAMS_STORE") == "memory":
        from .adapters.memory_store import MemoryStore
        return Services(MemoryStore(), registry)
    import boto3  # imported here so routes that never touch the table start faster

    from .adapters.dynamodb_store import DynamoDBStore
    table = os.environ["TABLE_NAME"]
    return Services(DynamoDBStore(boto3.client("dynamodb"), table), registry)


def services() -> Services:
    global _current
    if _current is None:
        _current = _from_environment()
    return _current


def use(replacement: Optional[Services]) -> None:
    """Install services built elsewhere (tests, the local stack); None rebuilds from env."""
    global _current
    _current = replacement
