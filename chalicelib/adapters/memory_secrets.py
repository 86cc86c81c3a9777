"""Registry secrets held in process memory: for tests and the local stack."""
from __future__ import annotations

import threading

from ..domain.errors import AlreadyExists
from ..domain.stored_objects import StoredSecret
from ..services.secrets import SECRETS


class MemorySecrets:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: dict[tuple[str, str], tuple[StoredSecret, str]] = {}

    def create(self, secret: StoredSecret, content: str) -> None:
        with self._lock:
            key = (secret.namespace, secret.name)
            if key in self._secrets:
                raise AlreadyExists.of(SECRETS, secret.name)
            self._secrets[key] = (secret, content)

    def list_secrets(self, namespace: str) -> list[StoredSecret]:
        with self._lock:
            return [stored for (ns, _), (stored, _) in sorted(self._secrets.items())
                    if ns == namespace]

    def get(self, namespace: str, name: str) -> StoredSecret | None:
        with self._lock:
            found = self._secrets.get((namespace, name))
            return found[0] if found else None

    def delete(self, namespace: str, name: str) -> bool:
        with self._lock:
            return self._secrets.pop((namespace, name), None) is not None

    def contents(self, namespace: str) -> list[tuple[str, str]]:
        with self._lock:
            return [(name, content) for (ns, name), (_, content) in sorted(self._secrets.items())
                    if ns == namespace]

    def __repr__(self) -> str:
        return f"MemorySecrets({len(self._secrets)} secrets)"
