"""`python -m bench [name ...]`: run the benchmarks (all by default), write the report."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

from .report import write

# name → module; each module has `run() -> report.Section`
BENCHMARKS = {"dynamodb-costs": "bench.dynamodb_costs",
              "scheduled-import": "bench.scheduled_import",
              "sns-publishing": "bench.sns_publishing",
              "cold-start": "bench.cold_start",
              "package-bytecode": "bench.package_bytecode",
              "throughput": "bench.throughput",
              "index-keys": "bench.index_keys"}
REPORT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}",
              file=sys.stderr)
        return 2
    sections = []
    for name in names or list(BENCHMARKS):
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        sections.append(importlib.import_module(BENCHMARKS[name]).run())
    write(sections, REPORT, keep_others=bool(names))
    print(f"bench: wrote {REPORT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
