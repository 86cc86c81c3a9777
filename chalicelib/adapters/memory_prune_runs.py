"""Image prune runs and their keep sets held in process memory (tests, `make run`'s memory
store): the same contract as dynamodb_prune_runs."""
from __future__ import annotations

import threading

from ..domain.errors import AlreadyExists
from ..domain.pruning import RUNS, PruneRun


class MemoryPruneRuns:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, PruneRun] = {}
        self._kept: dict[str, set[str]] = {}

    def create(self, run: PruneRun) -> None:
        with self._lock:
            if run.name in self._runs:
                raise AlreadyExists.of(RUNS, run.name)
            self._runs[run.name] = run

    def get(self, name: str) -> PruneRun | None:
        with self._lock:
            return self._runs.get(name)

    def list(self) -> list[PruneRun]:
        with self._lock:
            return sorted(self._runs.values(), key=lambda run: (run.created, run.name),
                          reverse=True)

    def save(self, run: PruneRun, read_step: int) -> bool:
        with self._lock:
            current = self._runs.get(run.name)
            if current is None or current.step != read_step:
                return False
            self._runs[run.name] = run
            return True

    def keep(self, name: str, digests: set[str]) -> None:
        with self._lock:
            self._kept.setdefault(name, set()).update(digests)

    def kept(self, name: str, digests: set[str]) -> set[str]:
        with self._lock:
            return digests & self._kept.get(name, set())
