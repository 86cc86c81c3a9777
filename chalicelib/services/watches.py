"""Waiting, for a bounded time, for a namespace's changes after a position.

A Lambda behind API Gateway answers once, within 29 seconds: a watch here is a long poll
of the namespace's change log (services/ports.py ChangeLog), which the table stream's
consumer appends to. It answers as soon as something the watcher wants has changed, or
when its time is up; the client watches again from where the answer ended.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..domain.changes import LoggedChange
from .ports import ChangeLog

POLL_SECONDS = 0.5  # one strongly consistent Query per poll: half a read unit
PAGE = 500  # changes read per Query; a watcher far behind reads pages without waiting


@dataclass
class Waited:
    changes: list[LoggedChange] = field(default_factory=list)  # the wanted ones, in order
    reached: int = 0  # the newest position read: the next wait starts after it


class Watches:
    def __init__(self, log: ChangeLog, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 poll_seconds: float = POLL_SECONDS):
        self._log = log
        self._clock = clock
        self._sleep = sleep
        self._poll_seconds = poll_seconds

    def newest(self, namespace: str) -> int:
        return self._log.newest(namespace)

    def wait(self, namespace: str, after: int, seconds: float,
             wanted: Callable[[LoggedChange], bool]) -> Waited:
        """The wanted changes after `after`, once there are some (every one logged by then)
        or `seconds` have passed; Expired (410) when `after` is older than what is kept."""
        deadline = self._clock() + seconds
        waited = Waited(reached=after)
        while True:
            page = self._log.after(namespace, waited.reached, PAGE)
            if page:
                waited.reached = page[-1].position
                waited.changes += [logged for logged in page if wanted(logged)]
            left = deadline - self._clock()
            if len(page) == PAGE and left > 0:
                continue
            if waited.changes or left <= 0:
                return waited
            self._sleep(min(self._poll_seconds, left))
