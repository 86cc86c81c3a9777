"""The publish ledger in memory, for tests and the in-memory store (one process)."""
from __future__ import annotations

from collections.abc import Sequence


class MemoryPublishLedger:
    def __init__(self) -> None:
        self.event_ids: set[str] = set()

    def published(self, event_ids: Sequence[str]) -> set[str]:
        return self.event_ids.intersection(event_ids)

    def record(self, event_ids: Sequence[str]) -> None:
        self.event_ids.update(event_ids)
