"""Triggers: subscribing endpoints to one stream's tag changes through SNS filter policies."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Optional, Protocol

from ..domain.errors import AlreadyExists, Conflict, FieldErrors, NotFound
from ..domain.triggers import filter_policy, validate_trigger_name, validate_trigger_spec
from ..domain.validation import names_valid
from ..resources.meta import ObjectMeta, now as utc_now
from ..resources.triggers import (
    ImageStreamTrigger, ImageStreamTriggerList, ImageStreamTriggerSpec, ImageStreamTriggerStatus,
)
from .ports import StreamStore
from .stream_write import STREAMS

TRIGGERS = "imagestreamtriggers.image.openshift.io"


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

    @property
    def endpoint_key(self) -> str:
        return f"{self.spec.endpoint.protocol}:{self.spec.endpoint.endpoint}"


def endpoint_taken(claimant: TriggerRecord, holder: Optional[TriggerRecord]) -> Conflict:
    """SNS keeps one subscription per endpoint and topic, so one trigger per endpoint: the
    first to claim it holds it until that trigger is deleted. The answer names the holder
    only when it is in the claimant's own namespace; of another namespace's trigger it says
    nothing, not even that one exists there."""
    endpoint = claimant.spec.endpoint.endpoint
    if holder is not None and holder.namespace == claimant.namespace:
        message = (f"endpoint {endpoint} already receives the changes of trigger "
                   f"{holder.name} of image stream {holder.stream}; use one endpoint per "
                   "trigger")
    else:
        message = f"endpoint {endpoint} is taken; use one endpoint per trigger"
    return Conflict(message, kind="imagestreamtriggers", name=claimant.name)


class TriggerStore(Protocol):
    def add_trigger(self, record: TriggerRecord) -> None:
        """Store a new trigger; AlreadyExists for its name, Conflict if its endpoint is taken."""

    def set_subscription(self, record: TriggerRecord) -> None: ...

    def get_trigger(self, namespace: str, stream: str, name: str) -> Optional[TriggerRecord]: ...

    def list_triggers(self, namespace: str, stream: str) -> list[TriggerRecord]: ...

    def remove_trigger(self, record: TriggerRecord) -> None: ...


class Subscriptions(Protocol):
    def subscribe(self, protocol: str, endpoint: str, policy: dict) -> tuple[str, bool]:
        """(subscription ARN, pending confirmation)."""

    def unsubscribe(self, subscription_arn: str) -> None: ...


class TriggerService:
    def __init__(self, streams: StreamStore, triggers: TriggerStore,
                 subscriptions: Callable[[], Subscriptions], clock: Callable = utc_now):
        self.streams = streams
        self.triggers = triggers
        self.subscriptions = subscriptions  # built on first use: SNS is only needed here
        self.clock = clock

    def create(self, namespace: str, stream: str, body: ImageStreamTrigger) -> ImageStreamTrigger:
        name = body.metadata.name or ""
        errors = FieldErrors()
        errors.extend(validate_trigger_name(name))
        errors.extend(validate_trigger_spec(body.spec))
        errors.raise_if_any(TRIGGERS, name)
        self._stream_must_exist(namespace, stream)
        record = TriggerRecord(namespace, stream, name, str(uuid.uuid4()), self.clock(),
                               body.spec)
        try:
            self.triggers.add_trigger(record)  # claims the name and the endpoint first
        except AlreadyExists:
            unfinished = self._unfinished(record)
            if unfinished is None:
                raise
            record = unfinished  # an earlier create of this trigger stopped half-way
        try:
            arn, pending = self.subscriptions().subscribe(
                body.spec.endpoint.protocol, body.spec.endpoint.endpoint,
                filter_policy(namespace, stream, body.spec))
        except Exception:
            self.triggers.remove_trigger(record)
            raise
        record = replace(record, subscription_arn=arn, pending_confirmation=pending)
        try:
            self.triggers.set_subscription(record)
        except Exception:
            # A subscription whose ARN is not stored could never be removed: take it back.
            # The trigger stays unfinished, and creating it again finishes it.
            self.subscriptions().unsubscribe(arn)
            raise
        return self._view(record)

    def _unfinished(self, record: TriggerRecord) -> Optional[TriggerRecord]:
        """The stored trigger of this name and spec if a create of it stopped before its
        subscription was stored (the trigger store was unreachable)."""
        stored = self.triggers.get_trigger(record.namespace, record.stream, record.name)
        if stored is None or stored.subscription_arn or stored.spec != record.spec:
            return None
        return stored

    def get(self, namespace: str, stream: str, name: str) -> ImageStreamTrigger:
        return self._view(self._existing(namespace, stream, name))

    def list(self, namespace: str, stream: str) -> ImageStreamTriggerList:
        self._stream_must_exist(namespace, stream)
        return ImageStreamTriggerList(items=[self._view(r) for r in
                                             self.triggers.list_triggers(namespace, stream)])

    def delete(self, namespace: str, stream: str, name: str) -> None:
        record = self._existing(namespace, stream, name)
        if record.subscription_arn:
            self.subscriptions().unsubscribe(record.subscription_arn)
        self.triggers.remove_trigger(record)

    def _existing(self, namespace: str, stream: str, name: str) -> TriggerRecord:
        valid = names_valid(namespace, stream) and not validate_trigger_name(name)
        record = self.triggers.get_trigger(namespace, stream, name) if valid else None
        if record is None:
            raise NotFound.of(TRIGGERS, name)
        return record

    def _stream_must_exist(self, namespace: str, stream: str) -> None:
        if not names_valid(namespace, stream) or self.streams.get_stream(namespace, stream) is None:
            raise NotFound.of(STREAMS, stream)

    @staticmethod
    def _view(record: TriggerRecord) -> ImageStreamTrigger:
        return ImageStreamTrigger(
            metadata=ObjectMeta(name=record.name, namespace=record.namespace, uid=record.uid,
                                creation_timestamp=record.created,
                                labels={"imagestreams.dev/stream": record.stream}),
            spec=record.spec,
            status=ImageStreamTriggerStatus(
                subscription_arn=record.subscription_arn,
                pending_confirmation=record.pending_confirmation,
                filter_policy=filter_policy(record.namespace, record.stream, record.spec)),
        )

