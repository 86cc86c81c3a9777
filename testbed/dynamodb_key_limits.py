"""The in-memory stores, refusing the keys DynamoDB refuses.

DynamoDB refuses a partition key over 2048 bytes and a sort key over 1024, and the
DynamoDB adapters serve that refusal as a 500; moto does not check key sizes at all. Tests
run on these stores so that a user's string reaching a key unchecked fails there too. The
keys are the adapters' (adapters/dynamodb_items.py, adapters/dynamodb_access.py).
"""
from __future__ import annotations

from typing import Any

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.memory_access import MemoryBindingStore
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.resources.image import Image
from chalicelib.resources.rbac import RoleBinding

MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024


class KeyTooLarge(Exception):
    """A key DynamoDB would refuse reached the store."""


def _check(partition: str, sort: str = "") -> None:
    if len(partition.encode("utf-8", "surrogatepass")) > MAX_PARTITION_KEY_BYTES:
        raise KeyTooLarge(f"partition key of {len(partition)} characters: {partition[:60]}...")
    if len(sort.encode("utf-8", "surrogatepass")) > MAX_SORT_KEY_BYTES:
        raise KeyTooLarge(f"sort key of {len(sort)} characters: {sort[:60]}...")


class KeyLimitedStore(MemoryStore):
    def get_stream(self, namespace: str, name: str) -> Any:
        _check(items.stream_pk(namespace, name))
        return super().get_stream(namespace, name)

    def get_tag(self, namespace: str, name: str, tag: str) -> Any:
        _check(items.stream_pk(namespace, name), items.tag_sk(tag))
        return super().get_tag(namespace, name, tag)

    def get_stream_tag(self, namespace: str, name: str, tag: str) -> Any:
        _check(items.stream_pk(namespace, name), items.tag_sk(tag))
        return super().get_stream_tag(namespace, name, tag)

    def load_stream(self, namespace: str, name: str) -> Any:
        _check(items.stream_pk(namespace, name))
        return super().load_stream(namespace, name)

    def list_streams(self, namespace: str, limit: int, after: str | None) -> Any:
        _check(items.namespace_gsi1pk(namespace), after or "")
        if after is not None:
            _check(items.stream_pk(namespace, after))
        return super().list_streams(namespace, limit, after)

    def list_all_streams(self, limit: int, after: str | None) -> Any:
        _check(items.cluster_shards()[0], after or "")  # the Query's ClusterSK > :after
        return super().list_all_streams(limit, after)

    def find_images(self, namespace: str, name: str, prefix: str, limit: int) -> Any:
        _check(items.stream_pk(namespace, name), items.index_sk(prefix))
        return super().find_images(namespace, name, prefix, limit)

    def delete_stream(self, namespace: str, name: str, expected_version: int) -> None:
        _check(items.stream_pk(namespace, name))
        super().delete_stream(namespace, name, expected_version)

    def put_image(self, image: Image) -> bool:
        digest = image.metadata.name or ""
        _check(items.image_pk(digest), digest)
        return super().put_image(image)

    def get_image(self, digest: str) -> Image | None:
        _check(items.image_pk(digest))
        return super().get_image(digest)

    def list_images(self, limit: int, after: str | None) -> Any:
        _check(items.image_shards()[0], after or "")  # the Query's GSI1SK > :after
        return super().list_images(limit, after)


class KeyLimitedBindings(MemoryBindingStore):
    """DynamoBindingStore keys a binding by `RB#<namespace>` (CRB: cluster), then its name."""

    @staticmethod
    def _check(namespace: str | None, name: str = "") -> None:
        _check(f"RB#{namespace}" if namespace else "CRB", name)

    def create_binding(self, namespace: str | None, binding: RoleBinding) -> None:
        self._check(namespace, binding.metadata.name or "")
        super().create_binding(namespace, binding)

    def get_binding(self, namespace: str | None, name: str) -> RoleBinding | None:
        self._check(namespace, name)
        return super().get_binding(namespace, name)

    def list_bindings(self, namespace: str | None) -> list[RoleBinding]:
        self._check(namespace)
        return super().list_bindings(namespace)

    def delete_binding(self, namespace: str | None, name: str) -> bool:
        self._check(namespace, name)
        return super().delete_binding(namespace, name)
