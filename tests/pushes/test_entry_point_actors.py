"""Every entry point that writes a stream says who the write acts for (services/actor.py):
a request its authenticated subject, with that subject's pull rights; the registry
webhook, an ECR push event, the ECR reconcile pass and the schedule the service itself.
Each is driven through its entry point (app.py's function, or the function it calls
with the Lambda context), and the actor every planned write received is recorded where
the writes are planned (StreamWrite)."""
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
from chalicelib.entrypoints.push_events import reconcile_ecr
from chalicelib.entrypoints.schedule_events import run_scheduled_imports
from chalicelib.resources.stream import ImageStream
from chalicelib.services import stream_write
from chalicelib.services.actor import SERVICE, Actor
from chalicelib.services.import_settings import ImportSettings
from testbed.auth import grant

from .conftest import Registry

V1 = "/apis/image.openshift.io/v1"


@pytest.fixture
def actors(monkeypatch: pytest.MonkeyPatch) -> list[Actor]:
    """The actor of every write planned while the test runs, in order."""
    seen: list[Actor] = []
    planned = stream_write.StreamWrite.__init__

    def recording(self: stream_write.StreamWrite, *args: Any, **kwargs: Any) -> None:
        seen.append(kwargs["actor"])
        planned(self, *args, **kwargs)

    monkeypatch.setattr(stream_write.StreamWrite, "__init__", recording)
    return seen


@pytest.fixture
def services() -> Iterator[wiring.Services]:
    services = wiring.Services(MemoryStore(), "registry.test:5000",
                               import_settings=ImportSettings(allow_list="127.0.0.0/8"))
    wiring.use(services)
    yield services
    wiring.use(None)


def test_a_request_acts_for_its_subject_with_their_pull_rights(
        services: wiring.Services, actors: list[Actor]) -> None:
    token = grant(services, "alice", "edit", "shop")
    grant(services, "alice", "view", "public")
    with Client(app_module.app) as client:
        answer = client.http.post(
            f"{V1}/namespaces/shop/imagestreams",
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            body=json.dumps({"metadata": {"name": "web"}}))
    assert answer.status_code == 201
    [actor] = actors
    assert actor.subject == "alice"
    assert actor.may_pull_from("public") and not actor.may_pull_from("payroll")


def test_the_registry_webhook_acts_as_the_service(
        services: wiring.Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The notification is handed on with the service as its actor (its pushes are the
    registry's, authorized by the registry's token auth)."""
    handed: list[Actor] = []

    class Notifications:
        def handle(self, actor: Actor, envelope: Any) -> dict[str, int]:
            handed.append(actor)
            return {"ignored": len(envelope["events"])}

    services.webhook_secret = "s3cret"
    services.__dict__["registry_notifications"] = Notifications()
    with Client(app_module.app) as client:
        answer = client.http.post(
            "/webhooks/registry", body=json.dumps({"events": [{}]}),
            headers={"authorization": "Bearer s3cret", "content-type": "application/json"})
    assert answer.status_code == 200, answer.body
    assert handed == [SERVICE]


def test_an_ecr_push_event_and_the_reconcile_pass_act_as_the_service(
        registry: Registry, services: wiring.Services, actors: list[Actor]) -> None:
    services.__dict__["ecr_pushes"] = registry.pushes  # the moto ECR of the fixture
    manifest, media_type = registry.image()
    pushed = registry.push("shop/web", "latest", manifest, media_type)
    assert app_module.record_ecr_push(registry.event("shop/web", "latest", pushed),
                                      LambdaContext("ecr", 512, 60_000)) == "moved"
    assert actors and set(actors) == {SERVICE}

    actors.clear()
    registry.push("shop/db", "v1", *registry.image(cmd="/bin/db"))  # no event delivered
    assert reconcile_ecr(LambdaContext("reconcile", 512, 900_000)) == {"moved": 1}
    assert actors and set(actors) == {SERVICE}


def test_a_scheduled_import_acts_as_the_service(
        services: wiring.Services, actors: list[Actor]) -> None:
    """A tag's scheduled import sets no source: it writes what it found (here, that who set
    a source in another namespace is not recorded), each tag's author checked before."""
    services.streams.create(SERVICE, "shop", ImageStream.model_validate({
        "metadata": {"name": "app"}, "spec": {"tags": [{
            "name": "1", "from": {"kind": "DockerImage", "name": "registry.test:5000/other/app:1"},
            "importPolicy": {"scheduled": True}}]}}))
    tag = services.store.get_tag("shop", "app", "1")
    assert tag is not None and tag.due is not None
    services.store.reschedule("shop", "app", tag, tag.due.replace(year=2000))
    actors.clear()
    report = run_scheduled_imports(LambdaContext("schedule", 512, 60_000))
    assert report["written"] == 1
    assert actors and set(actors) == {SERVICE}
