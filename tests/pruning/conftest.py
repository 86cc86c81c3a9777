"""Image prune runs over each store: the memory store, and DynamoDB on moto with its run
store beside it. Events and images are written through the services a second apart from
T0 (tests/contract); a run starts a day later, so only what keepYoungerThan reaches back
to is young."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_prune_runs import DynamoPruneRuns
from chalicelib.adapters.dynamodb_store import DynamoStore
from chalicelib.adapters.memory_prune_runs import MemoryPruneRuns
from chalicelib.domain import history as rules
from chalicelib.domain.pruning import RUNNING
from chalicelib.resources.prune import ImagePruneRun, ImagePruneRunSpec
from chalicelib.services.actor import SERVICE
from chalicelib.services.ports import PrunableRegistry, PruneRuns, StreamStore
from chalicelib.services.pruning import PruneService
from tests.contract.builders import T0
from tests.contract.test_store_services import Api

A_DAY_LATER = T0 + timedelta(days=1)
MAX_STEPS = 500


@pytest.fixture(autouse=True)
def few_recent_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tag keeps three events with it here, so a short history goes past the bound and a
    run pages through the rest."""
    monkeypatch.setattr(rules, "RECENT_EVENTS", 3)


def runs_beside(store: StreamStore) -> PruneRuns:
    """A run store on the same backend as `store` (the same table for DynamoDB)."""
    if isinstance(store, DynamoStore):
        return DynamoPruneRuns(store._client, store._table)
    return MemoryPruneRuns()


@pytest.fixture
def api(store: StreamStore) -> Api:
    return Api(store)


@pytest.fixture
def runs(store: StreamStore) -> PruneRuns:
    return runs_beside(store)


Pruner = Callable[..., ImagePruneRun]


def pruning(store: StreamStore, runs: PruneRuns, registry: PrunableRegistry | None = None,
            now: datetime = A_DAY_LATER, prefix: str = "") -> PruneService:
    return PruneService(store, runs, registry, prefix, clock=lambda: now)


def run_to_end(service: PruneService, name: str) -> int:
    """What the table stream's consumer does: each saved step brings the next, from the
    step the run is at. The steps done."""
    run = service.runs.get(name)
    assert run is not None
    for done in range(MAX_STEPS):
        if not service.advance(name, run.step):
            assert run.phase != RUNNING, f"stuck at step {run.step}"
            return done
        found = service.runs.get(name)
        assert found is not None and found.step == run.step + 1
        run = found
    raise AssertionError(f"more than {MAX_STEPS} steps")


@pytest.fixture
def prune(store: StreamStore, runs: PruneRuns) -> Pruner:
    """Run a prune to its end with these spec fields; the run as the API shows it."""

    def run(**spec: Any) -> ImagePruneRun:
        service = pruning(store, runs)
        started = service.start(SERVICE, ImagePruneRunSpec.model_validate(spec))
        name = started.metadata.name or ""
        run_to_end(service, name)
        return service.get(name)

    return run
