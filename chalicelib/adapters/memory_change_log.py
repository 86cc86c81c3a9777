"""The namespaces' change logs in memory, for tests and the in-memory store (one process)."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from ..domain.changes import KEPT_SECONDS, RECENT_CHANGES, Change, LoggedChange, too_old
from ..domain.errors import Expired


class MemoryChangeLog:
    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._newest: dict[str, int] = {}
        self._kept: dict[str, list[tuple[float, LoggedChange]]] = {}
        self._lock = threading.Lock()

    def append(self, namespace: str, changes: Sequence[Change]) -> None:
        with self._lock:
            kept = self._kept.setdefault(namespace, [])
            recent = {logged.change.event_id
                      for _, logged in kept[-(len(changes) + RECENT_CHANGES):]}
            position = self._newest.get(namespace, 0)
            for change in changes:
                if change.event_id and change.event_id in recent:
                    continue
                recent.add(change.event_id)
                position += 1
                kept.append((self._clock(), LoggedChange(position, change)))
            self._newest[namespace] = position

    def newest(self, namespace: str) -> int:
        with self._lock:
            return self._newest.get(namespace, 0)

    def after(self, namespace: str, position: int, limit: int) -> list[LoggedChange]:
        with self._lock:
            horizon = self._clock() - KEPT_SECONDS
            kept = [(at, logged) for at, logged in self._kept.get(namespace, [])
                    if at >= horizon]
            self._kept[namespace] = kept
            newest = self._newest.get(namespace, 0)
            later = [logged for _, logged in kept if logged.position > position]
            if position > newest or position < newest and (
                    not later or later[0].position != position + 1):
                raise Expired(too_old(position, newest))
            return later[:limit]
