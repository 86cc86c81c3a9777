"""The imagepruneruns routes through chalice.test.Client: create (defaults filled, field
errors, a taken name), get, list, and access (cluster roles only)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from testbed.auth import grant
from tests.api.conftest import REGISTRY, Api, serving

RUNS = "/apis/imagestreams.dev/v1/imagepruneruns"


@pytest.fixture
def services() -> wiring.Services:
    return wiring.Services(MemoryStore(), REGISTRY)


@pytest.fixture
def api(services: wiring.Services) -> Iterator[Api]:
    yield from serving(services)


def body(name: str | None = None, **spec: object) -> dict:
    return {"apiVersion": "imagestreams.dev/v1", "kind": "ImagePruneRun",
            "metadata": {"name": name} if name else {}, "spec": spec}


def test_a_run_is_created_with_every_default_filled(api: Api) -> None:
    created = api.post(RUNS, body())
    assert created.status_code == 201
    run = created.data
    assert run["kind"] == "ImagePruneRun" and run["apiVersion"] == "imagestreams.dev/v1"
    assert run["metadata"]["name"].startswith("prune-") and len(run["metadata"]["name"]) == 11
    assert run["metadata"]["annotations"] == {"imagestreams.dev/created-by": "test-admin"}
    assert {"uid", "creationTimestamp", "resourceVersion"} <= set(run["metadata"])
    assert run["spec"] == {"keepTagRevisions": 3, "keepYoungerThan": "60m", "dryRun": True,
                           "pruneRegistry": False}
    assert run["status"]["phase"] == "Running" and run["status"]["stage"] == "Streams"
    assert run["status"]["removed"] == {"historyEvents": 0, "images": 0, "registryImages": 0,
                                        "registryBytes": 0}
    # the POST runs no step: the table stream's consumer does
    assert api.get(f"{RUNS}/{run['metadata']['name']}").data == run


def test_a_run_keeps_the_name_and_spec_it_was_given(api: Api) -> None:
    created = api.post(RUNS, body("nightly", keepTagRevisions=5, keepYoungerThan="1h30m",
                                  namespaces=["team-a"], dryRun=False, pruneRegistry=True))
    assert created.status_code == 201
    assert created.data["metadata"]["name"] == "nightly"
    assert created.data["spec"] == {"keepTagRevisions": 5, "keepYoungerThan": "1h30m",
                                    "namespaces": ["team-a"], "dryRun": False,
                                    "pruneRegistry": True}
    generated = api.post(RUNS, {"metadata": {"generateName": "weekly-"}, "spec": {}})
    assert generated.data["metadata"]["name"].startswith("weekly-")
    listed = api.get(RUNS)
    assert listed.status_code == 200 and listed.data["kind"] == "ImagePruneRunList"
    assert {item["metadata"]["name"] for item in listed.data["items"]} == {
        "nightly", generated.data["metadata"]["name"]}


@pytest.mark.parametrize(("spec", "field", "words"), [
    ({"keepTagRevisions": -1}, "spec.keepTagRevisions", "must be >= 0"),
    ({"keepTagRevisions": "3"}, "spec.keepTagRevisions", "Invalid value"),
    ({"keepYoungerThan": "an hour"}, "spec.keepYoungerThan", "not a duration"),
    ({"keepYoungerThan": "-5m"}, "spec.keepYoungerThan", "not a duration"),
    ({"dryRun": "no"}, "spec.dryRun", "Invalid value"),
    ({"namespaces": ["Team_A"]}, "spec.namespaces[0]", "RFC 1123"),
])
def test_bad_input_is_a_422_naming_the_field(api: Api, spec: dict, field: str,
                                             words: str) -> None:
    answer = api.post(RUNS, body("bad", **spec))
    assert answer.status_code == 422
    assert answer.data["kind"] == "Status" and answer.data["reason"] == "Invalid"
    assert f"{field}: " in answer.data["message"] and words in answer.data["message"]
    assert [cause["field"] for cause in answer.data["details"]["causes"]] == [field]
    assert api.get(f"{RUNS}/bad").status_code == 404


def test_a_taken_name_is_a_409(api: Api) -> None:
    assert api.post(RUNS, body("nightly")).status_code == 201
    again = api.post(RUNS, body("nightly", dryRun=False))
    assert again.status_code == 409 and again.data["reason"] == "AlreadyExists"
    assert api.get(f"{RUNS}/nightly").data["spec"]["dryRun"] is True


def test_a_missing_run_is_a_404_status(api: Api) -> None:
    answer = api.get(f"{RUNS}/nothing")
    assert answer.status_code == 404 and answer.data["kind"] == "Status"
    assert answer.data["reason"] == "NotFound" and "nothing" in answer.data["message"]


def test_only_cluster_roles_reach_the_runs(api: Api, services: wiring.Services) -> None:
    assert api.post(RUNS, body("nightly")).status_code == 201
    admin_of_a_namespace = Api(api.client, {
        "authorization": f"Bearer {grant(services, 'alice', 'admin', 'team-a')}"})
    assert admin_of_a_namespace.post(RUNS, body("mine")).status_code == 403
    assert admin_of_a_namespace.get(RUNS).status_code == 403
    assert admin_of_a_namespace.get(f"{RUNS}/nightly").status_code == 403
    reader = Api(api.client, {
        "authorization": f"Bearer {grant(services, 'rita', 'cluster-reader')}"})
    assert reader.get(f"{RUNS}/nightly").status_code == 200
    assert reader.get(RUNS).status_code == 200
    assert reader.post(RUNS, body("theirs")).status_code == 403
