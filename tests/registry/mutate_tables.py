"""Mutation testing of the address filter's tables, which mutmut leaves alone (it mutates
function bodies, not module-level data): `make mutation` runs this after mutmut.

    python -m tests.registry.mutate_tables

Each row of registry/safety.py's IPv4 and IPv6 tables is mutated twice, dropped and given
the opposite verdict (refused <-> reachable), and the range tests are run against each
mutant; a mutant they pass survives. The survivors expected are listed in EQUIVALENT
with why (docs/mutation.md says the same); any other survivor, or an expected one that
is killed, fails the run.
"""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chalicelib.registry import safety

ROOT = Path(__file__).resolve().parents[2]
TESTS = ["tests/registry/test_address_ranges.py"]
WORKERS = 2
# Rows whose loss changes nothing an import sees, kept to copy the registry whole: a
# reachable block no refused block holds (the row around it, IPv4's unicast space or IPv6's
# 2000::/3, is reachable too), and a refused block inside 2001::/23, refused with the same
# class ("non-public") without it.
EQUIVALENT = {
    ("drop", "192.31.196.0/24"), ("drop", "192.52.193.0/24"), ("drop", "192.175.48.0/24"),
    ("drop", "2620:4f:8000::/48"), ("drop", "2001:2::/48"), ("drop", "2001:10::/28"),
}
# Applied in the test process: the table rebuilt from the blocks with one row changed.
RUNNER = """
import sys, ipaddress
from chalicelib.registry import safety
name, block, how = sys.argv[1], sys.argv[2], sys.argv[3]
blocks = getattr(safety, name)
rows = [(b, k) for b, k in blocks if b != block] if how == "drop" else [
    (b, (None if k else "non-public") if b == block else k) for b, k in blocks]
network = ipaddress.IPv4Network if name == "_IPV4_BLOCKS" else ipaddress.IPv6Network
setattr(safety, name.replace("BLOCKS", "TABLE"), tuple((network(b), k) for b, k in rows))
import pytest
sys.exit(pytest.main(["-x", "-q", "-p", "no:cacheprovider", "--hypothesis-seed=0",
                      *sys.argv[4:]]))
"""


def mutants() -> list[tuple[str, str, str]]:
    return [(table, block, how) for table in ("_IPV4_BLOCKS", "_IPV6_BLOCKS")
            for block, _ in getattr(safety, table) for how in ("drop", "flip")
            if block not in ("0.0.0.0/0", "::/0") or how == "flip"]


def survives(table: str, block: str, how: str) -> bool:
    run = subprocess.run([sys.executable, "-c", RUNNER, table, block, how, *TESTS], cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return run.returncode == 0


def main(argv: list[str] | None = None) -> int:
    found = mutants()
    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(pool.map(lambda m: survives(*m), found))
    survivors = {(how, block) for (_, block, how), alive in zip(found, outcomes, strict=True)
                 if alive}
    for (_, block, how), alive in zip(found, outcomes, strict=True):
        print(f"{'survived' if alive else 'killed':8}  {how:4}  {block}")
    print(f"{len(found)} table mutants: {len(found) - len(survivors)} killed, "
          f"{len(survivors)} survived ({len(survivors & EQUIVALENT)} known equivalent)")
    unexpected, expected_but_killed = survivors - EQUIVALENT, EQUIVALENT - survivors
    for how, block in sorted(unexpected):
        print(f"NOT KILLED: {how} {block}: add a test, or explain it in EQUIVALENT and "
              "docs/mutation.md")
    for how, block in sorted(expected_but_killed):
        print(f"no longer equivalent: {how} {block}: take it out of EQUIVALENT")
    return 1 if unexpected or expected_but_killed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
