"""The prune run store's contract on both backends: runs created once, read back whole,
listed newest first, saved only from the step they were read at; keep sets that take a
digest twice and tell which of a set they hold."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.adapters.dynamodb_prune_runs import DynamoPruneRuns
from chalicelib.adapters.dynamodb_store import DynamoStore
from chalicelib.adapters.memory_prune_runs import MemoryPruneRuns
from chalicelib.domain.errors import AlreadyExists
from chalicelib.domain.pruning import SUCCEEDED, PruneRun, PruneSpec
from chalicelib.services.ports import PruneRuns, StreamStore

from .builders import T0, digest


@pytest.fixture
def runs(store: StreamStore) -> PruneRuns:
    if isinstance(store, DynamoStore):
        return DynamoPruneRuns(store._client, store._table)
    return MemoryPruneRuns()


def a_run(name: str, minutes: int = 0, spec: PruneSpec | None = None) -> PruneRun:
    created = T0 + timedelta(minutes=minutes)
    return PruneRun(name=name, uid=f"uid-{name}", created=created, created_by="alice",
                    spec=spec or PruneSpec(), threshold=created - timedelta(hours=1))


def test_a_run_reads_back_as_created_and_once(runs: PruneRuns) -> None:
    run = a_run("nightly", spec=PruneSpec(keep_tag_revisions=5, keep_younger_than="1h30m",
                                          namespaces=("team", "shop"), dry_run=False,
                                          prune_registry=True))
    runs.create(run)
    assert runs.get("nightly") == run
    assert runs.get("other") is None
    with pytest.raises(AlreadyExists):
        runs.create(replace(run, uid="another"))
    assert runs.get("nightly") == run


def test_runs_are_listed_newest_first(runs: PruneRuns) -> None:
    for name, minutes in (("b", 1), ("a", 3), ("c", 2)):
        runs.create(a_run(name, minutes))
    assert [run.name for run in runs.list()] == ["a", "c", "b"]


def test_a_run_is_saved_only_from_the_step_it_was_read_at(runs: PruneRuns) -> None:
    run = a_run("nightly")
    runs.create(run)
    first = replace(run, step=1, stage="Images", cursor={"pass": "delete", "after": "x"},
                    scanned={**run.scanned, "streams": 4}, message="noted")
    assert runs.save(first, 0)
    assert not runs.save(replace(first, step=7), 0)  # a second save of step 0
    assert runs.get("nightly") == first
    done = replace(first, step=2, phase=SUCCEEDED, completed=T0 + timedelta(hours=1))
    assert runs.save(done, 1)
    assert runs.get("nightly") == done
    assert not runs.save(replace(run, name="missing", step=1), 0)


def test_a_keep_set_holds_what_was_kept_once_or_twice(runs: PruneRuns) -> None:
    runs.create(a_run("nightly"))
    runs.create(a_run("weekly"))
    runs.keep("nightly", {digest(n) for n in range(60)})
    runs.keep("nightly", {digest(n) for n in range(50, 70)})
    asked = {digest(n) for n in range(0, 200, 5)}
    assert runs.kept("nightly", asked) == {digest(n) for n in range(0, 70, 5)}
    assert runs.kept("weekly", asked) == set()
    assert runs.kept("nightly", set()) == set()
