"""How many cases each fuzzing test ran, by status class, for the end of pytest's report."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class CaseCount:
    name: str
    by_class: Counter = field(default_factory=Counter)  # "2xx": n, ...; "accepted": n, ...

    def record(self, outcome: str) -> None:
        self.by_class[outcome] += 1

    def record_status(self, status: int) -> None:
        self.record(f"{status // 100}xx")

    @property
    def total(self) -> int:
        return sum(self.by_class.values())

    def line(self) -> str:
        parts = ", ".join(f"{key} {count}" for key, count in sorted(self.by_class.items()))
        return f"{self.name}: {self.total} cases ({parts})"


COUNTS: dict[str, CaseCount] = {}


def case_count(name: str) -> CaseCount:
    """The tally named `name`, created on first use; conftest.py prints every tally."""
    return COUNTS.setdefault(name, CaseCount(name))
