"""The records of what the service keeps beside streams: access tokens, secrets (what is
known without their values) and triggers. Apart from domain/records.py, whose stream
records bring the image models with them: authentication reads tokens on every request."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .rbac import service_account_namespace

if TYPE_CHECKING:
    from ..resources.triggers import ImageStreamTriggerSpec
    from .records import StreamRecord


@dataclass(frozen=True)
class TokenRecord:
    id: str  # the first 16 hex digits of the token's SHA-256: a lookup key, not a secret
    digest: str  # the token's full SHA-256; the token itself is never stored
    subject: str
    created: datetime
    expires: datetime | None = None

    @property
    def scope(self) -> str | None:
        """The namespace whose admins manage this token (service accounts), else None."""
        return service_account_namespace(self.subject)


@dataclass(frozen=True)
class StoredSecret:
    """What is known about a secret without reading its value."""

    namespace: str
    name: str
    type: str
    uid: str
    created: datetime


@dataclass(frozen=True)
class TriggerRecord:
    namespace: str
    stream: str
    name: str
    uid: str
    created: datetime
    spec: ImageStreamTriggerSpec
    subscription_arn: str = ""
    pending_confirmation: bool = False
    # The uid of the stream it was made for; "" for triggers made before triggers named it,
    # which count as the present stream's while it exists.
    stream_uid: str = ""

    @property
    def endpoint_key(self) -> str:
        return f"{self.spec.endpoint.protocol}:{self.spec.endpoint.endpoint}"

    def belongs_to(self, stream: StreamRecord | None) -> bool:
        """Whether this trigger is `stream`'s (None: no stream of its name exists)."""
        return stream is not None and self.stream_uid in ("", stream.uid)
