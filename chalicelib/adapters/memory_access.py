"""Tokens and role bindings in memory: the reference of their store contracts."""
from __future__ import annotations

import threading

from ..domain.errors import AlreadyExists
from ..domain.stored_objects import TokenRecord
from ..resources.rbac import RoleBinding
from ..services.access import CLUSTERROLEBINDINGS, ROLEBINDINGS

# The DynamoDB adapters' encoders size each item: what the table would refuse, so is it here.
from .dynamodb_access import binding_item, token_item


class MemoryTokenStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, TokenRecord] = {}

    def put_token(self, record: TokenRecord) -> None:
        token_item(record)
        with self._lock:
            self._tokens[record.id] = record

    def get_token(self, token_id: str) -> TokenRecord | None:
        with self._lock:
            return self._tokens.get(token_id)

    def delete_token(self, token_id: str) -> bool:
        with self._lock:
            return self._tokens.pop(token_id, None) is not None

    def list_tokens(self, scope: str | None) -> list[TokenRecord]:
        with self._lock:
            return sorted((r for r in self._tokens.values() if r.scope == scope),
                          key=lambda r: (r.subject, r.id))


class MemoryBindingStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bindings: dict[tuple[str | None, str], RoleBinding] = {}

    def create_binding(self, namespace: str | None, binding: RoleBinding) -> None:
        key = (namespace, binding.metadata.name or "")
        binding_item(namespace, binding)
        with self._lock:
            if key in self._bindings:
                raise AlreadyExists.of(ROLEBINDINGS if namespace else CLUSTERROLEBINDINGS, key[1])
            self._bindings[key] = binding

    def get_binding(self, namespace: str | None, name: str) -> RoleBinding | None:
        with self._lock:
            return self._bindings.get((namespace, name))

    def list_bindings(self, namespace: str | None) -> list[RoleBinding]:
        with self._lock:
            return [b for (ns, _), b in sorted(self._bindings.items(),
                                               key=lambda kv: kv[0][1]) if ns == namespace]

    def delete_binding(self, namespace: str | None, name: str) -> bool:
        with self._lock:
            return self._bindings.pop((namespace, name), None) is not None
