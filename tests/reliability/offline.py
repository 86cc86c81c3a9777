"""Keeping fuzzed image references from reaching the network."""
from __future__ import annotations

import pytest

from chalicelib.registry import safety
from chalicelib.registry.errors import UnsafeAddress


def _refuse(host: str) -> list:
    raise UnsafeAddress(f"refusing to connect to {host}: no registry is reachable in this test")


def refuse_every_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Imports fail at the address check, before any lookup or connection.

    Fuzzed references name arbitrary hosts, and registries beyond this machine cannot be
    reached from a test: the address check is the one boundary every registry request
    passes (registry/safety.py). Refused addresses are not retried, so a case stays fast.
    """
    monkeypatch.setattr(safety, "resolve", _refuse)
