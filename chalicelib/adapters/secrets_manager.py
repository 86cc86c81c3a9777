"""Registry secrets in AWS Secrets Manager, one secret per namespace and name.

A secret is stored as `<prefix><namespace>/<name>` with its type and uid as tags, so a
list is one paginated ListSecrets that never reads a value. Values are read only to
authenticate an import. Deleting skips the recovery window: Kubernetes lets a deleted
name be created again at once, which a pending deletion would refuse.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import AlreadyExists, ApiError, ServiceUnavailable
from ..domain.stored_objects import StoredSecret
from ..services.secrets import SECRETS

log = logging.getLogger(__name__)
TYPE_TAG, UID_TAG, CREATED_TAG = "imagestreams:type", "imagestreams:uid", "imagestreams:created"
THROTTLED = {"ThrottlingException", "TooManyRequestsException", "InternalServiceError",
             "LimitExceededException"}
_calling = threading.local()


class _QuietWhileCalling(logging.Filter):
    """botocore logs request parameters and response bodies at DEBUG: secret values, for
    Secrets Manager. Its records are dropped in a thread while it makes such a call."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_calling, "active", False)


for _name in ("botocore.endpoint", "botocore.parsers"):
    logging.getLogger(_name).addFilter(_QuietWhileCalling())


@contextmanager
def _quiet() -> Iterator[None]:
    _calling.active = True
    try:
        yield
    finally:
        _calling.active = False


class SecretsManagerSecrets:
    def __init__(self, client: Callable[[], Any], prefix: str = "imagestreams/"):
        """`client` makes the Secrets Manager client (botocore's), on first use: most requests
        never need it, and creating one costs a cold start time."""
        self._make_client = client
        self._prefix = prefix

    @cached_property
    def _client(self) -> Any:
        return self._make_client()

    def _id(self, namespace: str, name: str) -> str:
        return f"{self._prefix}{namespace}/{name}"

    def create(self, secret: StoredSecret, content: str) -> None:
        tags = [{"Key": TYPE_TAG, "Value": secret.type}, {"Key": UID_TAG, "Value": secret.uid},
                {"Key": CREATED_TAG, "Value": secret.created.isoformat()}]
        try:
            with _quiet():
                self._client.create_secret(Name=self._id(secret.namespace, secret.name),
                                           SecretString=content, Tags=tags)
        except ClientError as exc:
            if _code(exc) == "ResourceExistsException":
                raise AlreadyExists.of(SECRETS, secret.name) from None
            raise _translated(exc) from None
        except BotoCoreError:
            raise _unreachable() from None

    def list_secrets(self, namespace: str) -> list[StoredSecret]:
        return sorted(self._listed(namespace), key=lambda s: s.name)

    def get(self, namespace: str, name: str) -> StoredSecret | None:
        try:
            described = self._client.describe_secret(SecretId=self._id(namespace, name))
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                return None
            raise _translated(exc) from None
        except BotoCoreError:
            raise _unreachable() from None
        if described.get("DeletedDate"):
            return None
        return self._stored(namespace, described)

    def delete(self, namespace: str, name: str) -> bool:
        if self.get(namespace, name) is None:
            return False  # a forced delete of a missing secret succeeds: it would not say
        try:
            self._client.delete_secret(SecretId=self._id(namespace, name),
                                       ForceDeleteWithoutRecovery=True)
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                return False
            raise _translated(exc) from None
        except BotoCoreError:
            raise _unreachable() from None
        return True

    def contents(self, namespace: str) -> list[tuple[str, str]]:
        found = []
        for secret in self.list_secrets(namespace):
            try:
                with _quiet():
                    value = self._client.get_secret_value(
                        SecretId=self._id(namespace, secret.name))["SecretString"]
            except ClientError as exc:
                if _code(exc) == "ResourceNotFoundException":
                    continue  # deleted since it was listed
                raise _translated(exc) from None
            except BotoCoreError:
                raise _unreachable() from None
            found.append((secret.name, value))
        return found

    def _listed(self, namespace: str) -> Iterator[StoredSecret]:
        prefix = self._id(namespace, "")
        pages = self._client.get_paginator("list_secrets").paginate(
            Filters=[{"Key": "name", "Values": [prefix]}])
        try:
            for page in pages:
                for entry in page.get("SecretList", []):
                    rest = entry["Name"][len(prefix):]
                    # The name filter matches prefixes: keep this namespace's own names only.
                    if entry["Name"].startswith(prefix) and rest and "/" not in rest:
                        yield self._stored(namespace, entry)
        except ClientError as exc:
            raise _translated(exc) from None
        except BotoCoreError:
            raise _unreachable() from None

    def _stored(self, namespace: str, entry: dict[str, Any]) -> StoredSecret:
        tags = {tag["Key"]: tag["Value"] for tag in entry.get("Tags") or []}
        # The service's own creation time; Secrets Manager's is a little later.
        created = (datetime.fromisoformat(tags[CREATED_TAG]) if CREATED_TAG in tags
                   else entry.get("CreatedDate") or datetime.now(UTC))
        return StoredSecret(namespace=namespace, name=entry["Name"].rsplit("/", 1)[1],
                            type=tags.get(TYPE_TAG, ""), uid=tags.get(UID_TAG, ""),
                            created=created.replace(microsecond=0))

    def __repr__(self) -> str:
        return f"SecretsManagerSecrets(prefix={self._prefix!r})"


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _translated(exc: ClientError) -> ApiError:
    """The error code only: AWS messages can quote request parameters."""
    code = _code(exc)
    log.warning("Secrets Manager refused a request: %s", code)
    if code in THROTTLED:
        return ServiceUnavailable("the secret store is busy; retry shortly")
    return ApiError(f"the secret store refused a request: {code}")


def _unreachable() -> ServiceUnavailable:
    return ServiceUnavailable("the secret store is unreachable; retry shortly")


class SharedSecret:
    """One secret's value (the registry webhook's), read from Secrets Manager on first use
    and kept for the life of the process: a Lambda container reads it once. A failed read
    is not kept, so the next call tries again; it is 503, as the registry then sends the
    notification again, and names the error code only (never the value)."""

    def __init__(self, client: Callable[[], Any], secret_id: str):
        self._make_client = client
        self._secret_id = secret_id
        self._value: str | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        if self._value is None:
            with self._lock:  # chalice local serves requests on threads: one read
                if self._value is None:
                    self._value = self._read()
        return self._value

    def _read(self) -> str:
        try:
            with _quiet():
                reply = self._make_client().get_secret_value(SecretId=self._secret_id)
        except ClientError as exc:
            log.warning("the shared secret %s cannot be read: %s", self._secret_id,
                        _code(exc))
            raise ServiceUnavailable("the shared secret cannot be read now; retry "
                                     "shortly") from None
        except BotoCoreError as exc:
            log.warning("the shared secret %s cannot be read: %s", self._secret_id,
                        type(exc).__name__)
            raise _unreachable() from None
        return str(reply.get("SecretString") or "")

    def __repr__(self) -> str:
        return f"SharedSecret({self._secret_id!r})"
