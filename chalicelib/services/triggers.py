"""Triggers: subscribing endpoints to one stream's tag changes through SNS filter policies.

A trigger belongs to one life of its stream: it records the stream's uid, and its filter
policy names it. Deleting the stream deletes its triggers and their subscriptions; should
that stop half-way, what is left belongs to no living stream (an orphan): it is never
shown, never matches the moves of a stream created again under the name, and is removed
by the next delete of the name, or by the next create, list or get of its triggers.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import replace

from ..domain.errors import AlreadyExists, ApiError, Conflict, FieldErrors, NotFound
from ..domain.records import StreamRecord
from ..domain.stored_objects import TriggerRecord
from ..domain.triggers import filter_policy, validate_trigger_name, validate_trigger_spec
from ..domain.validation import names_valid
from ..resources.meta import ObjectMeta
from ..resources.meta import now as utc_now
from ..resources.triggers import (
    ImageStreamTrigger,
    ImageStreamTriggerList,
    ImageStreamTriggerStatus,
)
from .ports import StreamStore, Subscriptions, TriggerStore
from .stream_write import STREAMS

TRIGGERS = "imagestreams/triggers.image.openshift.io"
log = logging.getLogger(__name__)


def endpoint_taken(claimant: TriggerRecord, holder: TriggerRecord | None) -> Conflict:
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
    return Conflict(message, kind="imagestreams/triggers", name=claimant.name)


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
        current = self._stream_must_exist(namespace, stream)
        # A trigger of this name left by an earlier life of the stream would hold the name.
        self.remove_orphans(namespace, stream)
        record = TriggerRecord(namespace, stream, name, str(uuid.uuid4()), self.clock(),
                               body.spec, stream_uid=current.uid)
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
                filter_policy(namespace, stream, body.spec, record.stream_uid))
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

    def _unfinished(self, record: TriggerRecord) -> TriggerRecord | None:
        """The stored trigger of this name and spec if a create of it stopped before its
        subscription was stored (the trigger store was unreachable)."""
        stored = self.triggers.get_trigger(record.namespace, record.stream, record.name)
        if (stored is None or stored.subscription_arn or stored.spec != record.spec
                or stored.stream_uid != record.stream_uid):
            return None
        return stored

    def get(self, namespace: str, stream: str, name: str) -> ImageStreamTrigger:
        return self._view(self._existing(namespace, stream, name))

    def list(self, namespace: str, stream: str) -> ImageStreamTriggerList:
        valid = names_valid(namespace, stream)
        records = self.triggers.list_triggers(namespace, stream) if valid else []
        # Read after the list, as remove_orphans reads them.
        current = self.streams.get_stream(namespace, stream) if valid else None
        if any(not record.belongs_to(current) for record in records):
            self._tidy(namespace, stream)
        if current is None:
            raise NotFound.of(STREAMS, stream)
        return ImageStreamTriggerList(items=[self._view(r) for r in records
                                             if r.belongs_to(current)])

    def delete(self, namespace: str, stream: str, name: str) -> None:
        record = self._existing(namespace, stream, name)
        if record.subscription_arn:
            self.subscriptions().unsubscribe(record.subscription_arn)
        self.triggers.remove_trigger(record)

    def remove_orphans(self, namespace: str, stream: str) -> int:
        """Unsubscribe and delete the triggers of `stream`'s name that belong to no living
        stream: all of them once the stream is deleted. Idempotent: run again after a
        failure (the stream's delete retried, a later create or list), it finishes the job.
        Returns how many it removed.

        The triggers are listed before the stream is read: a trigger listed was made for a
        stream that existed before the read, so a stream read as absent, or with another
        uid, is gone for good and the trigger is an orphan; a trigger made for a stream
        created after the read is not in the list."""
        if not names_valid(namespace, stream):
            return 0
        records = self.triggers.list_triggers(namespace, stream)
        if not records:
            return 0
        current = self.streams.get_stream(namespace, stream)
        orphans = [record for record in records if not record.belongs_to(current)]
        for record in orphans:
            if record.subscription_arn:
                self.subscriptions().unsubscribe(record.subscription_arn)  # gone already: fine
            self.triggers.remove_trigger(record)
        return len(orphans)

    def _tidy(self, namespace: str, stream: str) -> None:
        """remove_orphans for a read: a failure leaves them for later, the read answers."""
        try:
            self.remove_orphans(namespace, stream)
        except ApiError as error:
            log.warning("removing the triggers of a deleted stream %s/%s failed: %s",
                        namespace, stream, error.message)

    def _existing(self, namespace: str, stream: str, name: str) -> TriggerRecord:
        valid = names_valid(namespace, stream) and not validate_trigger_name(name)
        record = self.triggers.get_trigger(namespace, stream, name) if valid else None
        if record is None:
            raise NotFound.of(TRIGGERS, name)
        if not record.belongs_to(self.streams.get_stream(namespace, stream)):
            self._tidy(namespace, stream)
            raise NotFound.of(TRIGGERS, name)
        return record

    def _stream_must_exist(self, namespace: str, stream: str) -> StreamRecord:
        current = self.streams.get_stream(namespace, stream) if names_valid(
            namespace, stream) else None
        if current is None:
            raise NotFound.of(STREAMS, stream)
        return current

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
                filter_policy=filter_policy(record.namespace, record.stream, record.spec,
                                            record.stream_uid)),
        )

