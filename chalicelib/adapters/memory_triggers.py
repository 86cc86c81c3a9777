"""Triggers held in memory: the reference of the TriggerStore contract."""
from __future__ import annotations

import threading

from ..domain.errors import AlreadyExists, NotFound
from ..domain.stored_objects import TriggerRecord
from ..services.triggers import TRIGGERS, endpoint_taken

# The DynamoDB adapter's encoder sizes each item: what the table would refuse, so is it here.
from .dynamodb_triggers import trigger_item


class MemoryTriggerStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._triggers: dict[tuple[str, str, str], TriggerRecord] = {}
        self._endpoints: dict[str, TriggerRecord] = {}

    def add_trigger(self, record: TriggerRecord) -> None:
        key = (record.namespace, record.stream, record.name)
        trigger_item(record)
        with self._lock:
            if key in self._triggers:
                raise AlreadyExists.of(TRIGGERS, record.name)
            holder = self._endpoints.get(record.endpoint_key)
            if holder is not None:
                raise endpoint_taken(record, holder)
            self._triggers[key] = self._endpoints[record.endpoint_key] = record

    def set_subscription(self, record: TriggerRecord) -> None:
        trigger_item(record)
        key = (record.namespace, record.stream, record.name)
        with self._lock:
            stored = self._triggers.get(key)
            if stored is None or stored.uid != record.uid:
                raise NotFound.of(TRIGGERS, record.name)
            self._triggers[key] = record
            self._endpoints[record.endpoint_key] = record

    def get_trigger(self, namespace: str, stream: str, name: str) -> TriggerRecord | None:
        with self._lock:
            return self._triggers.get((namespace, stream, name))

    def list_triggers(self, namespace: str, stream: str) -> list[TriggerRecord]:
        with self._lock:
            return [r for (ns, s, _), r in sorted(self._triggers.items())
                    if (ns, s) == (namespace, stream)]

    def remove_trigger(self, record: TriggerRecord) -> None:
        with self._lock:
            self._triggers.pop((record.namespace, record.stream, record.name), None)
            if self._endpoints.get(record.endpoint_key, record).uid == record.uid:
                self._endpoints.pop(record.endpoint_key, None)

