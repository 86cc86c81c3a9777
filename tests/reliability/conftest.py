"""Print the fuzzing tallies (tests/reliability/cases.py) in pytest's closing summary."""
from __future__ import annotations

from .cases import COUNTS


def pytest_terminal_summary(terminalreporter) -> None:
    counts = [count for count in COUNTS.values() if count.total]
    if not counts:
        return
    terminalreporter.write_sep("-", "fuzzing cases run")
    for count in counts:
        terminalreporter.write_line(count.line())
