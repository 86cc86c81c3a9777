"""POST imagestreamimports over HTTP: images and repositories, dry runs, failures, limits."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.services.imports import ImportSettings
from testbed.auth import admin_headers
from testbed.oci_layout import OciLayout
from testbed.registry import RegistryServer
from tests.api.conftest import V1, Api, ns_path

from .conftest import FAST, LOOPBACK, Images, fresh_image, push_fresh

INSECURE = {"insecure": True}


@pytest.fixture
def api() -> Iterator[Api]:
    settings = ImportSettings(allow_list=LOOPBACK, max_repository_tags=3, **FAST)
    services = wiring.Services(MemoryStore(), import_settings=settings)
    wiring.use(services)
    with Client(app) as client:
        yield Api(client, admin_headers(services))
    wiring.use(None)


def isi(name: str, *images: dict, repository: dict | None = None, confirm: bool = True) -> dict:
    spec: dict = {"import": confirm, "images": list(images)}
    if repository is not None:
        spec["repository"] = repository
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport",
            "metadata": {"name": name}, "spec": spec}


def image(reference: str, to: str | None = None, **policy: object) -> dict:
    entry: dict = {"from": {"kind": "DockerImage", "name": reference},
                   "importPolicy": {**INSECURE, **policy}}
    if to:
        entry["to"] = {"name": to}
    return entry


def test_import_images_into_a_new_stream(api: Api, images: Images) -> None:
    host, digest = images.plain.host, images.single.digest
    reply = api.post(ns_path("imagestreamimports"), isi(
        "app", image(f"{host}/imports/oci:1.0", "1.0", scheduled=True),
        image(f"{host}/imports/docker:1.0")))
    assert reply.status_code == 201, reply.data
    assert reply.data["kind"] == "ImageStreamImport"
    tagged, untagged = reply.data["status"]["images"]
    assert tagged["status"] == {"metadata": {}, "status": "Success", "code": 200}
    assert tagged["tag"] == "1.0" and tagged["image"]["metadata"]["name"] == digest
    assert tagged["image"]["dockerImageReference"] == f"{host}/imports/oci@{digest}"
    assert "tag" not in untagged and untagged["image"]["metadata"]["name"] == images.docker_digest
    stream = reply.data["status"]["import"]
    assert stream["kind"] == "ImageStream" and stream["metadata"]["name"] == "app"
    [spec] = stream["spec"]["tags"]
    assert spec["from"] == {"kind": "DockerImage", "name": f"{host}/imports/oci:1.0"}
    assert spec["importPolicy"] == {"insecure": True, "scheduled": True, "importMode": "Legacy"}
    [status] = stream["status"]["tags"]
    assert [item["image"] for item in status["items"]] == [digest]
    # untagged images are imported too, tagged nowhere
    assert api.get(f"{V1}/images/{images.docker_digest}").status_code == 200
    assert api.get(ns_path("imagestreams", "app")).data == stream


def test_a_dry_run_writes_nothing(api: Api, images: Images) -> None:
    host = images.plain.host
    reply = api.post(ns_path("imagestreamimports"), isi(
        "app", image(f"{host}/imports/multi:1.0", "1", importMode="PreserveOriginal"),
        confirm=False))
    assert reply.status_code == 201
    [result] = reply.data["status"]["images"]
    assert result["image"]["metadata"]["name"] == images.index.digest
    assert [m["metadata"]["name"] for m in result["manifests"]] == [
        i.digest for i in images.index.images]
    assert "import" not in reply.data["status"]
    assert api.get(ns_path("imagestreams", "app")).status_code == 404
    for digest in [images.index.digest, *(i.digest for i in images.index.images)]:
        assert api.get(f"{V1}/images/{digest}").status_code == 404


def test_a_failed_image_is_reported_and_only_sets_its_condition(api: Api,
                                                                images: Images) -> None:
    host = images.plain.host
    api.post(ns_path("imagestreamimports"), isi("app", image(f"{host}/imports/oci:1.0", "1")))
    reply = api.post(ns_path("imagestreamimports"), isi(
        "app", image(f"{host}/imports/oci:nope", "1")))
    [result] = reply.data["status"]["images"]
    assert result["status"]["status"] == "Failure"
    assert (result["status"]["reason"], result["status"]["code"]) == ("NotFound", 404)
    assert "imports/oci:nope" in result["status"]["message"] and "image" not in result
    stream = reply.data["status"]["import"]
    [spec] = stream["spec"]["tags"]
    assert spec["from"]["name"] == f"{host}/imports/oci:1.0"  # the spec is left as it was
    [status] = stream["status"]["tags"]
    assert status["items"][0]["image"] == images.single.digest
    assert [(c["type"], c["status"], c["reason"]) for c in status["conditions"]] == [
        ("ImportSuccess", "False", "NotFound")]


def test_importing_again_picks_up_a_moved_tag(api: Api, images: Images,
                                              layout: OciLayout) -> None:
    registry = images.plain
    first = push_fresh(registry, layout, "isi/again:1")
    body = isi("app", image(f"{registry.host}/isi/again:1", "1"))
    api.post(ns_path("imagestreamimports"), body)
    second = push_fresh(registry, layout, "isi/again:1")
    reply = api.post(ns_path("imagestreamimports"), body)
    [status] = reply.data["status"]["import"]["status"]["tags"]
    assert [item["image"] for item in status["items"]] == [second.digest, first.digest]


def test_a_repository_imports_its_first_tags_and_lists_the_rest(api: Api, images: Images,
                                                                layout: OciLayout) -> None:
    registry: RegistryServer = images.plain
    for tag in ("1.0", "2.0", "1.10", "latest", "beta"):
        name, _ = fresh_image(layout)
        registry.push(layout, name, f"isi/repo:{tag}")
    reply = api.post(ns_path("imagestreamimports"), isi(
        "repo", repository={"from": {"kind": "DockerImage", "name": f"{registry.host}/isi/repo"},
                            "importPolicy": INSECURE}))
    assert reply.status_code == 201, reply.data
    repository = reply.data["status"]["repository"]
    assert repository["status"]["status"] == "Success"
    assert [i["tag"] for i in repository["images"]] == ["latest", "2.0", "1.10"]
    assert all(i["status"]["status"] == "Success" for i in repository["images"])
    assert repository["additionalTags"] == ["1.0", "beta"]
    tags = reply.data["status"]["import"]["spec"]["tags"]
    assert sorted(t["name"] for t in tags) == ["1.10", "2.0", "latest"]
    assert {t["from"]["name"] for t in tags} == {
        f"{registry.host}/isi/repo:{tag}" for tag in ("latest", "2.0", "1.10")}


def test_a_repository_that_cannot_be_listed_fails_as_a_whole(api: Api, images: Images) -> None:
    reply = api.post(ns_path("imagestreamimports"), isi(
        "repo", repository={"from": {"kind": "DockerImage",
                                     "name": f"{images.plain.host}/isi/absent"}}))
    status = reply.data["status"]["repository"]["status"]
    assert (status["status"], status["reason"]) == ("Failure", "ConnectionFailed")  # no TLS there


@pytest.mark.parametrize("spec, field", [
    ({"import": True}, "spec"),
    ({"images": [{"from": {"kind": "ImageStreamTag", "name": "a:b"}}]}, "spec.images[0].from.kind"),
    ({"images": [{"from": {"kind": "DockerImage", "name": "Bad/Name"}}]},
     "spec.images[0].from.name"),
    ({"images": [{"from": {"kind": "DockerImage", "name": "x.io/a"}, "to": {"name": "-"}}]},
     "spec.images[0].to.name"),
    ({"images": [{"from": {"kind": "DockerImage", "name": "x.io/a"}, "to": {"name": "t"}},
                 {"from": {"kind": "DockerImage", "name": "x.io/b"}, "to": {"name": "t"}}]},
     "spec.images[1].to.name"),
    ({"images": [{"from": {"kind": "DockerImage", "name": "x.io/a"},
                  "importPolicy": {"importMode": "Other"}}]},
     "spec.images[0].importPolicy.importMode"),
    ({"images": [{"from": {"kind": "DockerImage", "name": f"x.io/a{n}"}} for n in range(4)]},
     "spec.images"),
    ({"repository": {"from": {"kind": "DockerImage", "name": "x.io/a:1"}}},
     "spec.repository.from.name"),
])
def test_invalid_imports_are_refused_before_any_request(api: Api, spec: dict, field: str,
                                                        connections: list[str]) -> None:
    body = {"kind": "ImageStreamImport", "metadata": {"name": "app"}, "spec": spec}
    reply = api.post(ns_path("imagestreamimports"), body)
    assert reply.status_code == 422, reply.data
    assert field in [cause["field"] for cause in reply.data["details"]["causes"]]
    assert connections == []


def test_discovery_lists_imagestreamimports_and_secrets(api: Api) -> None:
    resources = {r["name"]: r for r in api.get(V1).data["resources"]}
    assert resources["imagestreamimports"]["verbs"] == ["create"]
    [secrets] = api.get("/api/v1").data["resources"]
    assert (secrets["name"], secrets["kind"], secrets["namespaced"]) == ("secrets", "Secret", True)
