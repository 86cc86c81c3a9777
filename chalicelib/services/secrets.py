"""Registry secrets of a namespace: dockerconfigjson content that imports authenticate with.

Values go in and are used by the registry client; they never come back out of the API,
never appear in a message and never reach a log line. Answers carry names and types only.
"""
from __future__ import annotations

import base64
import binascii
import re
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from ..domain.errors import FieldErrors, NotFound
from ..domain.stored_objects import StoredSecret
from ..domain.validation import invalid, not_supported, required, validate_namespace
from ..resources.meta import ObjectMeta
from ..resources.meta import now as utc_now
from ..resources.secrets import DATA_KEYS, DOCKER_CONFIG_JSON, Secret, SecretList
from .ports import SecretStore

if TYPE_CHECKING:  # the registry client (and requests) loads when credentials are first
    # read: every route's services include the secret store, and few routes read a secret
    from ..registry import Credentials, CredentialSource

SECRETS = "secrets"
MAX_SECRET_BYTES = 64 * 1024  # Secrets Manager takes 64 KiB; a docker config is a few hundred bytes
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _view(stored: StoredSecret) -> Secret:
    return Secret(metadata=ObjectMeta(name=stored.name, namespace=stored.namespace,
                                      uid=stored.uid, creation_timestamp=stored.created),
                  type=stored.type)


class SecretService:
    def __init__(self, store: SecretStore, clock: Callable[[], datetime] = utc_now):
        self.store = store
        self.clock = clock

    def create(self, namespace: str, body: Secret) -> Secret:
        name = body.metadata.name or ""
        content = self._validated_content(namespace, name, body)
        stored = StoredSecret(namespace, name, body.type or "", str(uuid.uuid4()), self.clock())
        self.store.create(stored, content)
        return _view(stored)

    def list(self, namespace: str) -> SecretList:
        self._check_namespace(namespace)
        return SecretList(items=[_view(s) for s in self.store.list_secrets(namespace)])

    def get(self, namespace: str, name: str) -> Secret:
        stored = self.store.get(namespace, name) if self._valid(namespace, name) else None
        if stored is None:
            raise NotFound.of(SECRETS, name)
        return _view(stored)

    def delete(self, namespace: str, name: str) -> None:
        if not (self._valid(namespace, name) and self.store.delete(namespace, name)):
            raise NotFound.of(SECRETS, name)

    def credentials(self, namespace: str) -> NamespaceCredentials:
        return NamespaceCredentials(lambda: self.store.contents(namespace))

    @staticmethod
    def _check_namespace(namespace: str) -> None:
        errors = FieldErrors()
        errors.extend(validate_namespace(namespace))
        errors.raise_if_any("namespaces", namespace)

    @staticmethod
    def _valid(namespace: str, name: str) -> bool:
        return not validate_namespace(namespace) and bool(_SUBDOMAIN.fullmatch(name)) and len(
            name) <= 253

    def _validated_content(self, namespace: str, name: str, body: Secret) -> str:
        """The docker config as text; Invalid (never quoting it) when it is not one."""
        errors = FieldErrors()
        errors.extend(validate_namespace(namespace))
        if body.metadata.namespace and body.metadata.namespace != namespace:
            errors.add("metadata.namespace", f'Invalid value: "{body.metadata.namespace}": the '
                       "namespace of the object does not match the namespace on the request")
        if not name:
            errors.items.append(required("metadata.name", "name is required"))
        elif len(name) > 253 or not _SUBDOMAIN.fullmatch(name):
            errors.items.append(invalid("metadata.name", name, "a lowercase RFC 1123 subdomain "
                                        "must consist of lower case alphanumeric characters, "
                                        "'-' or '.', and must start and end with an "
                                        "alphanumeric character"))
        key = DATA_KEYS.get(body.type or DOCKER_CONFIG_JSON)
        if body.type not in DATA_KEYS:
            errors.items.append(not_supported("type", body.type or "", tuple(DATA_KEYS)))
        errors.raise_if_any(SECRETS, name)
        assert key is not None
        field, content, problem = self._content(body, key)
        if problem:
            errors.add(field, f"Invalid value: <hidden>: {problem}")
        elif content is None:
            errors.items.append(required(f"data[{key}]", f"a {body.type} secret holds {key}"))
        elif len(content.encode()) > MAX_SECRET_BYTES:
            errors.add(field, f"Too long: must have at most {MAX_SECRET_BYTES} bytes",
                       "FieldValueTooLong")
        else:
            from ..registry import DockerConfigCredentials
            try:
                DockerConfigCredentials(content)
            except ValueError as exc:  # its messages name hosts and fields, never values
                errors.add(field, f"Invalid value: <hidden>: {exc}")
        errors.raise_if_any(SECRETS, name)
        assert content is not None
        return content

    @staticmethod
    def _content(body: Secret, key: str) -> tuple[str, str | None, str]:
        """(field, the docker config text or None when absent, why it is unreadable)."""
        if body.string_data and key in body.string_data:
            return f"stringData[{key}]", body.string_data[key], ""
        encoded = (body.data or {}).get(key)
        if encoded is None:
            return f"data[{key}]", None, ""
        try:
            return f"data[{key}]", base64.b64decode(encoded, validate=True).decode("utf-8"), ""
        except (binascii.Error, ValueError):
            return f"data[{key}]", None, "must be base64 of a docker config"


class NamespaceCredentials:
    """A CredentialSource over a namespace's secrets, read on first use (most registries
    never ask), the first secret by name that names the registry winning."""

    def __init__(self, load: Callable[[], list[tuple[str, str]]]):
        self._load = load
        self._lock = threading.Lock()  # import threads of one request share it
        self._sources: list[CredentialSource] | None = None

    def _loaded(self) -> list[CredentialSource]:
        with self._lock:
            if self._sources is None:
                from ..registry import DockerConfigCredentials
                sources: list[CredentialSource] = []
                for _, content in self._load():
                    try:
                        sources.append(DockerConfigCredentials(content))
                    except ValueError:
                        continue  # validated when stored; a secret edited elsewhere is skipped
                self._sources = sources
            return self._sources

    def __call__(self, registry: str) -> Credentials | None:
        for source in self._loaded():
            found = source(registry)
            if found is not None:
                return found
        return None

    def __repr__(self) -> str:
        return "NamespaceCredentials()"
