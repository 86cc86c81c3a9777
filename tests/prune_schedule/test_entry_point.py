"""The pruning schedule's function (app.py's `prune_images`): each EventBridge event starts
one run for real with the stack's PRUNE_* settings, acting as the service; an event
delivered again starts nothing more. Driven through app.py's handler, as Lambda calls it."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.local import LambdaContext
from chalice.test import Client

import app as app_module
from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.domain.errors import Invalid
from testbed.auth import admin_headers
from tests.cli.conftest import Clock, frozen_datetime

V1 = "/apis/image.openshift.io/v1"
EVENT = {"version": "0", "id": "prune-1", "detail-type": "Scheduled Event",
         "source": "aws.events", "account": "123456789012", "time": "2026-12-05T03:00:00Z",
         "region": "us-east-1", "detail": {},
         "resources": ["arn:aws:events:us-east-1:123456789012:rule/prune_images"]}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The service's time (meta.now), moved on by the tests."""
    from chalicelib.resources import meta
    shared = Clock()
    monkeypatch.setattr(meta, "datetime", frozen_datetime(shared))
    return shared


@pytest.fixture
def services(clock: Clock) -> Iterator[wiring.Services]:
    services = wiring.Services(MemoryStore(), "registry.test:5000")
    wiring.use(services)
    yield services
    wiring.use(None)


def invoke(event: dict[str, Any]) -> Any:
    context = LambdaContext("prune_images", memory_size=512, max_runtime_ms=30_000)
    return app_module.app.handler_map["prune_images"](dict(event), context)


def digest(char: str) -> str:
    return "sha256:" + char * 64


def tag_history(services: wiring.Services, count: int) -> None:
    """team/web:latest moved to `count` images in turn."""
    with Client(app_module.app) as client:
        headers = {**admin_headers(services), "content-type": "application/json"}
        for char in "abcdef"[:count]:
            body = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
                    "metadata": {"name": "web"}, "tag": "latest",
                    "image": {"metadata": {"name": digest(char)},
                              "dockerImageReference": f"quay.io/team/web@{digest(char)}"}}
            if char == "a":
                reply = client.http.post(f"{V1}/namespaces/team/imagestreams", headers=headers,
                                         body=json.dumps({"metadata": {"name": "web"}}))
                assert reply.status_code == 201, reply.body
            reply = client.http.post(f"{V1}/namespaces/team/imagestreammappings",
                                     headers=headers, body=json.dumps(body))
            assert reply.status_code == 201, reply.body


def run_to_end(services: wiring.Services, name: str) -> None:
    """The steps the table stream's consumer would drive, one after the other."""
    for _ in range(100):
        run = services.pruning.runs.get(name)
        assert run is not None
        if run.phase != "Running":
            return
        assert services.pruning.advance(name, run.step)
    raise AssertionError(f"{name} did not finish in 100 steps")


def test_an_event_starts_a_real_run_with_the_stacks_settings(
        services: wiring.Services, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    tag_history(services, 5)
    clock.later(60)
    for name, value in {"PRUNE_KEEP_TAG_REVISIONS": "2", "PRUNE_KEEP_YOUNGER_THAN": "0s",
                        "PRUNE_NAMESPACES": "team, ops", "PRUNE_REGISTRY": "false"}.items():
        monkeypatch.setenv(name, value)
    assert invoke(EVENT) == "scheduled-20261205t030000z"
    [run] = services.pruning.list().items
    assert run.metadata.name == "scheduled-20261205t030000z"
    assert run.model_dump(by_alias=True, exclude_none=True)["spec"] == {
        "keepTagRevisions": 2, "keepYoungerThan": "0s", "namespaces": ["team", "ops"],
        "dryRun": False, "pruneRegistry": False}
    assert not (run.metadata.annotations or {}).get("imagestreams.dev/created-by")  # SERVICE
    # EventBridge delivers an event again (a retry): the same run, nothing new
    assert invoke(EVENT) == "scheduled-20261205t030000z"
    assert len(services.pruning.list().items) == 1
    run_to_end(services, "scheduled-20261205t030000z")
    done = services.pruning.get("scheduled-20261205t030000z")
    assert done.status is not None and done.status.phase == "Succeeded"
    assert done.status.removed is not None and done.status.removed.history_events == 3
    # the next firing is a run of its own
    assert invoke({**EVENT, "time": "2026-12-06T03:00:00Z"}) == "scheduled-20261206t030000z"
    assert len(services.pruning.list().items) == 2


def test_left_out_settings_are_the_apis_defaults(
        services: wiring.Services, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PRUNE_KEEP_TAG_REVISIONS", "PRUNE_KEEP_YOUNGER_THAN", "PRUNE_NAMESPACES",
                 "PRUNE_REGISTRY"):
        monkeypatch.delenv(name, raising=False)
    invoke(EVENT)
    [run] = services.pruning.list().items
    assert run.model_dump(by_alias=True, exclude_none=True)["spec"] == {
        "keepTagRevisions": 3, "keepYoungerThan": "60m", "dryRun": False,
        "pruneRegistry": False}


def test_a_bad_setting_fails_the_invocation(
        services: wiring.Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRUNE_KEEP_YOUNGER_THAN", "tomorrow")
    with pytest.raises(Invalid, match="spec.keepYoungerThan"):
        invoke(EVENT)
    assert services.pruning.list().items == []
