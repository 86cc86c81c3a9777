"""`isctl import-image` over OpenShift's ImageStreamImport.

The service's imagestreamimports endpoint is not part of this tree yet, so these tests put a
stand-in for that one endpoint in front of the app: it answers ImageStreamImports as
OpenShift does (status.images, status.repository with additionalTags, status.import) and
records what it imports as mappings on the real app. Everything else is the real app.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import requests

from .conftest import SERVER, V1, Isctl, mapping

IMPORTS = "/imagestreamimports"


def image_of(source: str) -> dict:
    digest = "sha256:" + hashlib.sha256(source.encode()).hexdigest()
    return {"metadata": {"name": digest},
            "dockerImageReference": source.rsplit(":", 1)[0] + "@" + digest,
            "dockerImageMetadata": {"Architecture": "amd64", "Size": 1234567,
                                    "Config": {"Cmd": ["run"]}},
            "dockerImageLayers": [{"name": "sha256:" + "1" * 64, "size": 1234567}]}


class ImportStandIn:
    """Answers ImageStreamImports; passes every other request to the app's adapter."""

    def __init__(self, isctl: Isctl, repository_tags: list[str], additional: list[str]):
        self.isctl, self.inner = isctl, isctl.adapter
        self.repository_tags, self.additional = repository_tags, additional
        self.received: list[dict] = []

    def send(self, request: requests.PreparedRequest, **kw: Any) -> requests.Response:
        path = request.url.removeprefix(SERVER)
        if request.method == "GET" and path == V1:
            reply = self.inner.send(request, **kw)
            body = reply.json()
            body["resources"].append({"name": "imagestreamimports", "namespaced": True,
                                      "kind": "ImageStreamImport", "verbs": ["create"]})
            reply._content = json.dumps(body).encode()
            return reply
        if request.method == "POST" and path.endswith(IMPORTS):
            return self._import(request, json.loads(request.body))
        return self.inner.send(request, **kw)

    def close(self) -> None:
        pass

    def _import(self, request: requests.PreparedRequest, isi: dict) -> requests.Response:
        self.received.append(isi)
        namespace, name = isi["metadata"]["namespace"], isi["metadata"]["name"]
        spec, status = isi["spec"], {}
        if spec.get("repository"):
            source = spec["repository"]["from"]["name"]
            if "missing" in source:
                status["repository"] = {"status": {"status": "Failure", "reason": "NotFound",
                                                   "message": "repository not found"}}
                return self._reply(request, isi, status)
            status["repository"] = {"status": {"status": "Success"}, "images": [
                {"status": {"status": "Success"}, "tag": tag, "image": image_of(f"{source}:{tag}")}
                for tag in self.repository_tags], "additionalTags": self.additional}
        images = []
        for wanted in spec.get("images") or []:
            source, tag = wanted["from"]["name"], wanted["to"]["name"]
            if "missing" in source:
                images.append({"status": {"status": "Failure", "reason": "NotFound",
                                          "message": f"{source}: manifest unknown"}, "tag": tag})
                continue
            image = image_of(source)
            images.append({"status": {"status": "Success"}, "tag": tag, "image": image})
            if spec["import"]:
                self._record(namespace, name, tag, wanted, image)
        status["images"] = images
        if spec["import"] and images:
            status["import"] = self.isctl.api("GET", f"/namespaces/{namespace}/imagestreams/{name}")
        return self._reply(request, isi, status)

    @staticmethod
    def _reply(request: requests.PreparedRequest, isi: dict, status: dict) -> requests.Response:
        reply = requests.Response()
        reply.status_code, reply.url = 201, request.url
        reply._content = json.dumps({**isi, "status": status}).encode()
        return reply

    def _record(self, namespace: str, name: str, tag: str, wanted: dict, image: dict) -> None:
        try:
            self.isctl.api("GET", f"/namespaces/{namespace}/imagestreams/{name}")
        except AssertionError:
            self.isctl.api("POST", f"/namespaces/{namespace}/imagestreams",
                           {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
                            "metadata": {"name": name}})
        self.isctl.api("POST", f"/namespaces/{namespace}/imagestreammappings", mapping(
            name, tag, image["metadata"]["name"], image["dockerImageReference"], namespace,
            dockerImageMetadata=image["dockerImageMetadata"],
            dockerImageLayers=image["dockerImageLayers"]))


@pytest.fixture
def registry(isctl: Isctl) -> ImportStandIn:
    stand_in = ImportStandIn(isctl, ["3.12", "3.11", "3.10"], ["2.7"])
    isctl.session.mount(SERVER, stand_in)
    return stand_in


def test_new_stream_needs_confirm(isctl: Isctl, registry: ImportStandIn):
    result = isctl("import-image", "python", "--from", "docker.io/library/python:3.12")
    assert (result.code, result.err) == (
        1, 'error: no image stream named "python" exists, pass --confirm to create and import\n')
    out = isctl.ok("import-image", "python:3.12", "--from", "docker.io/library/python:3.12",
                   "--confirm")
    head, rest = out.split("\n\n", 1)
    assert head == "imagestream.image.openshift.io/python imported"
    assert rest.startswith("Name:\t\t\tpython\n")
    assert "Image Name:\tpython:3.12\n" in rest
    assert out.endswith("\n\n\n")  # oc's blank lines after the last description
    [sent] = registry.received
    assert sent["spec"]["import"] is True
    assert sent["spec"]["images"] == [{
        "from": {"kind": "DockerImage", "name": "docker.io/library/python:3.12"},
        "to": {"name": "3.12"}, "importPolicy": {"insecure": False, "scheduled": False}}]


def test_reimport_follows_the_spec_tag(isctl: Isctl, registry: ImportStandIn):
    isctl.ok("tag", "docker.io/library/python:3.11", "python:3.11", "--scheduled", "--insecure")
    isctl.ok("tag", "--alias", "python:3.11", "python:latest")
    isctl.ok("import-image", "python")  # latest follows its alias to 3.11
    [sent] = registry.received
    assert sent["metadata"]["resourceVersion"]
    assert sent["spec"]["images"][0]["to"] == {"name": "3.11"}
    assert sent["spec"]["images"][0]["importPolicy"] == {"insecure": True, "scheduled": True}
    result = isctl("import-image", "python:3.11", "--from", "quay.io/other/python:3.11")
    assert result.err == ('error: the tag "3.11" points to "docker.io/library/python:3.11" - '
                          "use the 'tag' command if you want to change the source to "
                          '"quay.io/other/python:3.11"\n')
    result = isctl("import-image", "python:nope")
    assert result.err == ('error: the tag "nope" does not exist on the image stream - choose an '
                          "existing tag to import or use the 'tag' command to create a new "
                          "tag\n")
    isctl.ok("tag", "python:3.11", "python:copy")
    result = isctl("import-image", "python:copy")
    assert result.err.startswith('error: tag "copy" points to existing ImageStreamImage')


def test_all_tags_of_a_repository_with_progress(isctl: Isctl, registry: ImportStandIn):
    result = isctl("import-image", "python", "--from", "docker.io/library/python", "--all",
                   "--confirm")
    assert result.code == 0, result
    dry_run, *imports = registry.received
    assert dry_run["spec"]["import"] is False and dry_run["spec"]["repository"]["from"] == {
        "kind": "DockerImage", "name": "docker.io/library/python"}
    assert [i["spec"]["images"][0]["to"]["name"] for i in imports] == ["3.12", "3.11", "3.10"]
    assert result.err == "Importing 3 tags [" + "#" * 30 + "] 3/3\n"
    assert result.out.startswith("imagestream.image.openshift.io/python imported\n\n")
    assert result.out.count("Image Name:\tpython:3.1") == 3
    assert ("info: The remote repository contained 1 additional tags which were not "
            "imported: 2.7\n") in result.out
    stream = isctl.api("GET", "/namespaces/default/imagestreams/python")
    assert stream["spec"]["dockerImageRepository"] == "docker.io/library/python"
    assert sorted(t["tag"] for t in stream["status"]["tags"]) == ["3.10", "3.11", "3.12"]
    # the stream now imports that repository: --all alone does it again
    registry.received.clear()
    assert isctl("import-image", "python", "--all").code == 0
    assert registry.received[0]["spec"]["repository"]["from"]["name"] == (
        "docker.io/library/python")


def test_all_spec_tags_with_failures_and_dry_run(isctl: Isctl, registry: ImportStandIn):
    isctl.ok("tag", "docker.io/library/python:3.12", "python:a")
    isctl.ok("tag", "docker.io/library/missing:1", "python:b")
    result = isctl("import-image", "python", "--all", "--dry-run")
    assert result.code == 0
    assert result.out.startswith("imagestream.image.openshift.io/python imported with errors "
                                 "(dry run)\n\n")
    assert "error: tag b failed: docker.io/library/missing:1: manifest unknown\n" in result.err
    assert all(i["spec"]["import"] is False for i in registry.received)
    assert not any(t["tag"] == "a" for t in isctl.api(
        "GET", "/namespaces/default/imagestreams/python")["status"].get("tags") or []
        if t.get("items"))


def test_a_repository_that_cannot_be_listed(isctl: Isctl, registry: ImportStandIn):
    result = isctl("import-image", "app", "--from", "quay.io/org/missing", "--all",
                   "--confirm")
    assert result.code == 0
    assert result.out == "imagestream.image.openshift.io/app imported with errors\n\n\n"
    assert result.err == "error: repository quay.io/org/missing failed: repository not found\n"
    assert isctl("get", "is", "app").code == 1  # nothing was created


def test_argument_errors(isctl: Isctl, registry: ImportStandIn):
    assert isctl("import-image", "python@sha256:" + "a" * 64).err == (
        "error: to import images by ID, use the 'tag' command\n")
    assert isctl("import-image", "python:1", "--all").err == (
        'error: cannot specify a tag "python:1" as well as --all\n')
    assert isctl("import-image", "Py thon").err.startswith(
        "error: the image name must be a valid container image pull spec")
    isctl.ok("create", "-f", "-", stdin='{"apiVersion": "v1", "kind": "ImageStream", '
                                         '"metadata": {"name": "empty"}}')
    assert isctl("import-image", "empty", "--all").err == (
        "error: image stream does not have tags pointing to external container images\n")
    assert isctl("import-image", "empty", "--all", "--from", "quay.io/a/b").err == (
        "error: the image stream does not currently import an entire Docker repository, "
        "pass --confirm to update\n")


class WithoutImports:
    """The app as it was before imports: discovery without imagestreamimports."""

    def __init__(self, inner: Any):
        self.inner = inner

    def send(self, request: requests.PreparedRequest, **kw: Any) -> requests.Response:
        reply = self.inner.send(request, **kw)
        if request.method == "GET" and request.url == SERVER + V1:
            body = reply.json()
            body["resources"] = [r for r in body["resources"]
                                 if r["name"] != "imagestreamimports"]
            reply._content = json.dumps(body).encode()
        return reply

    def close(self) -> None:
        pass


def test_a_server_without_imports_says_so(isctl: Isctl):
    isctl.session.mount(SERVER, WithoutImports(isctl.adapter))
    result = isctl("import-image", "python")
    assert result.code == 1
    assert result.err == ("error: this server does not import images yet (it has no "
                          "imagestreamimports resource); use `isctl tag --reference` to record "
                          "a pull spec\n")
