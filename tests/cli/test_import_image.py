"""`isctl import-image` against the real app and its imagestreamimports endpoint.

Images come from Debian's docker-registry on loopback (plain HTTP, so imports pass
--insecure, as oc would need). The app may reach loopback, and a repository import takes
its first 3 tags; the `offline` fixture keeps everything else off the network.
"""
from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from chalicelib.services.imports import ImportSettings
from testbed.oci_layout import BuiltImage, OciLayout
from testbed.registry import RegistryServer, plain_registry  # noqa: F401
from tests.registry.scripted import Canned, ScriptedServer, image_routes

from .conftest import SERVER, V1, Isctl

IMPORTS = "/imagestreamimports"
PYTHON_TAGS = ("3.12", "3.11", "3.10", "2.7")  # a repository import takes the first 3
BAR = "[" + "#" * 30 + "]"


@pytest.fixture
def import_settings() -> ImportSettings:
    return ImportSettings(allow_list="127.0.0.0/8", max_repository_tags=3,
                          request_seconds=3.0, api_seconds=10.0)


@dataclass
class Source:
    """The registry and what this module pushed: cli/python:<PYTHON_TAGS>."""

    registry: RegistryServer
    layout: OciLayout
    python: dict[str, BuiltImage]

    @property
    def host(self) -> str:
        return self.registry.host

    def push(self, destination: str) -> BuiltImage:
        """A new image (a new digest every call) pushed to `repo:tag`."""
        n = next(_unique)
        image = self.layout.image([{"n.txt": f"cli import {n}\n".encode()}])
        self.layout.tag(f"cli-{n}", image)
        self.registry.push(self.layout, f"cli-{n}", destination)
        return image


_unique = itertools.count()


@pytest.fixture(scope="module")
def source(plain_registry: RegistryServer,  # noqa: F811
           tmp_path_factory: pytest.TempPathFactory) -> Source:
    layout = OciLayout(tmp_path_factory.mktemp("cli-import-layout"))
    pushed = Source(plain_registry, layout, {})
    for tag in PYTHON_TAGS:
        pushed.python[tag] = pushed.push(f"cli/python:{tag}")
    return pushed


@pytest.fixture
def sent(isctl: Isctl, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """The ImageStreamImports isctl sends; every request still goes to the app."""
    bodies: list[dict] = []
    forward = isctl.adapter.send

    def send(request: requests.PreparedRequest, **kw: Any) -> requests.Response:
        if request.method == "POST" and request.path_url.endswith(IMPORTS):
            bodies.append(json.loads(request.body))
        return forward(request, **kw)

    monkeypatch.setattr(isctl.adapter, "send", send)
    return bodies


def described(out: str, name: str, pull_spec: str, image: BuiltImage) -> None:
    """oc's DescribeImage of `image` as imported, under the istag `name`."""
    [layer] = image.layers
    assert (f"Image Name:\t{name}\nDocker Image:\t{pull_spec}\nName:\t\t{image.digest}\n"
            in out), out
    assert f"Layers:\t\t{layer.size} B\t{layer.digest}\n" in out


def history(isctl: Isctl, stream: str) -> dict[str, list[str]]:
    """Each status tag's images, newest first."""
    body = isctl.api("GET", f"/namespaces/default/imagestreams/{stream}")
    return {t["tag"]: [item["image"] for item in t.get("items") or []]
            for t in body["status"].get("tags") or []}


def test_new_stream_needs_confirm(isctl: Isctl, source: Source, sent: list[dict]):
    origin, image = f"{source.host}/cli/python:3.12", source.python["3.12"]
    result = isctl("import-image", "python", "--from", origin)
    assert (result.code, result.err) == (
        1, 'error: no image stream named "python" exists, pass --confirm to create and import\n')
    assert sent == []
    out = isctl.ok("import-image", "python:3.12", "--from", origin, "--confirm", "--insecure")
    head, rest = out.split("\n\n", 1)
    assert head == "imagestream.image.openshift.io/python imported"
    assert rest.startswith("Name:\t\t\tpython\n")
    pull_spec = f"{source.host}/cli/python@{image.digest}"
    assert (f"3.12\n  tagged from {origin}\n    will use insecure HTTPS or HTTP connections\n\n"
            f"  * {pull_spec}\n") in rest
    described(rest, "python:3.12", pull_spec, image)
    assert out.endswith("\n\n\n")  # oc's blank lines after the last description
    [isi] = sent
    assert isi["spec"]["import"] is True
    assert isi["spec"]["images"] == [{
        "from": {"kind": "DockerImage", "name": origin},
        "to": {"name": "3.12"}, "importPolicy": {"insecure": True, "scheduled": False}}]
    assert history(isctl, "python") == {"3.12": [image.digest]}


def test_plain_http_needs_insecure(isctl: Isctl, source: Source):
    result = isctl("import-image", "python:3.12", "--from", f"{source.host}/cli/python:3.12",
                   "--confirm")
    assert result.code == 0
    assert result.out.startswith("imagestream.image.openshift.io/python imported with errors\n\n")
    assert result.err == (f"error: tag 3.12 failed: TLS with {source.host} failed: "
                          "WRONG_VERSION_NUMBER\n"
                          f"hint: {source.host} seems to serve plain HTTP, not HTTPS: pass "
                          "--insecure to import from it over HTTP\n")
    assert history(isctl, "python") == {"3.12": []}


def test_a_tag_from_a_plain_http_registry_hints_at_insecure(isctl: Isctl, source: Source):
    isctl.ok("create", "-f", "-", stdin='{"apiVersion": "image.openshift.io/v1", '
                                         '"kind": "ImageStream", "metadata": {"name": "python"}}')
    origin = f"{source.host}/cli/python:3.12"
    result = isctl("tag", origin, "python:3.12")
    assert (result.code, result.out) == (0, f"Tag python:3.12 set to {origin}.\n")
    assert result.err == (f"warning: the import of tag 3.12 failed: TLS with {source.host} "
                          "failed: WRONG_VERSION_NUMBER\n"
                          f"hint: {source.host} seems to serve plain HTTP, not HTTPS: pass "
                          "--insecure to import from it over HTTP\n")
    result = isctl("tag", "--insecure", origin, "python:3.12")
    assert (result.code, result.err) == (0, "")
    assert history(isctl, "python") == {"3.12": [source.python["3.12"].digest]}


def test_reimport_follows_the_spec_tag(isctl: Isctl, source: Source, sent: list[dict]):
    origin = f"{source.host}/cli/moving:3.11"
    first = source.push("cli/moving:3.11")
    isctl.ok("tag", origin, "python:3.11", "--scheduled", "--insecure")  # imports `first`
    isctl.ok("tag", "--alias", "python:3.11", "python:latest")
    second = source.push("cli/moving:3.11")
    version = isctl.api("GET", "/namespaces/default/imagestreams/python")["metadata"][
        "resourceVersion"]
    out = isctl.ok("import-image", "python")  # latest follows its alias to 3.11
    [isi] = sent
    assert isi["metadata"]["resourceVersion"] == version
    assert isi["spec"]["images"] == [{
        "from": {"kind": "DockerImage", "name": origin}, "to": {"name": "3.11"},
        "importPolicy": {"insecure": True, "scheduled": True}}]
    described(out, "python:3.11", f"{source.host}/cli/moving@{second.digest}", second)
    assert history(isctl, "python") == {"3.11": [second.digest, first.digest],
                                        "latest": [second.digest, first.digest]}
    other = f"{source.host}/cli/other:3.11"
    result = isctl("import-image", "python:3.11", "--from", other)
    assert result.err == (f'error: the tag "3.11" points to "{origin}" - use the \'tag\' '
                          f'command if you want to change the source to "{other}"\n')
    result = isctl("import-image", "python:latest", "--from", other)
    assert result.err == (f'error: the tag "latest" points to the tag "3.11" which points to '
                          f'"{origin}" - use the \'tag\' command if you want to change the '
                          f'source to "{other}"\n')
    result = isctl("import-image", "python:nope")
    assert result.err == ('error: the tag "nope" does not exist on the image stream - choose an '
                          "existing tag to import or use the 'tag' command to create a new "
                          "tag\n")
    isctl.ok("tag", "python:3.11", "python:copy")
    result = isctl("import-image", "python:copy")
    assert result.err == (f'error: tag "copy" points to existing ImageStreamImage '
                          f'"python@{second.digest}", it cannot be re-imported\n')
    assert len(sent) == 1  # the refusals sent nothing


def test_a_failed_import_keeps_its_spec_tag_for_the_next_import(isctl: Isctl, source: Source,
                                                                 sent: list[dict]):
    origin = f"{source.host}/cli/kept:1"  # nothing there yet
    result = isctl("import-image", "kept", "--from", origin, "--confirm", "--insecure")
    not_found = f"manifest {origin} not found on {source.host.rsplit(':', 1)[0]}"
    assert (result.code, result.err) == (0, f"error: tag latest failed: {not_found}\n")
    head, rest = result.out.split("\n\n", 1)
    assert head == "imagestream.image.openshift.io/kept imported with errors"
    assert (f"latest\n  tagged from {origin}\n    will use insecure HTTPS or HTTP connections\n"
            f"\n  ! error: Import failed (NotFound): {not_found}\n      Less than a second ago\n"
            ) in rest
    stream = isctl.api("GET", "/namespaces/default/imagestreams/kept")
    assert [(t["name"], t["from"]["name"], t["importPolicy"]["insecure"])
            for t in stream["spec"]["tags"]] == [("latest", origin, True)]
    image = source.push("cli/kept:1")
    sent.clear()
    out = isctl.ok("import-image", "kept")  # the kept spec tag: its source, insecure as set
    [isi] = sent
    assert isi["spec"]["images"] == [{
        "from": {"kind": "DockerImage", "name": origin}, "to": {"name": "latest"},
        "importPolicy": {"insecure": True, "scheduled": False}}]
    assert out.startswith("imagestream.image.openshift.io/kept imported\n\n")
    described(out, "kept:latest", f"{source.host}/cli/kept@{image.digest}", image)
    assert history(isctl, "kept") == {"latest": [image.digest]}


def test_all_tags_of_a_repository_with_progress(isctl: Isctl, source: Source,
                                                sent: list[dict]):
    repository = f"{source.host}/cli/python"
    result = isctl("import-image", "python", "--from", repository, "--all", "--confirm",
                   "--insecure")
    assert result.code == 0, result
    listing, *imports = sent
    assert listing["spec"]["import"] is False and listing["spec"]["repository"] == {
        "from": {"kind": "DockerImage", "name": repository},
        "importPolicy": {"insecure": True, "scheduled": False}}
    imported = ("3.12", "3.11", "3.10")
    assert [(i["spec"]["import"], i["spec"]["images"][0]["from"]["name"],
             i["spec"]["images"][0]["to"]["name"]) for i in imports] == [
        (True, f"{repository}:{tag}", tag) for tag in imported]
    assert result.err == f"Importing 3 tags {BAR} 3/3\n"
    assert result.out.startswith("imagestream.image.openshift.io/python imported\n\n")
    assert result.out.count("Image Name:") == 3
    for tag in imported:
        image = source.python[tag]
        described(result.out, f"python:{tag}", f"{repository}@{image.digest}", image)
    assert result.out.endswith("\n\ninfo: The remote repository contained 1 additional tags "
                               "which were not imported: 2.7\n\n")
    stream = isctl.api("GET", "/namespaces/default/imagestreams/python")
    assert stream["spec"]["dockerImageRepository"] == repository
    assert history(isctl, "python") == {tag: [source.python[tag].digest] for tag in imported}
    # the stream now imports that repository: --all alone does it again (--insecure again:
    # as in oc, only the flag or the stream's insecure annotation makes a repository import so)
    sent.clear()
    again = isctl("import-image", "python", "--all", "--insecure")
    assert (again.code, again.err) == (0, f"Importing 3 tags {BAR} 3/3\n")
    assert again.out.startswith("imagestream.image.openshift.io/python imported\n\n")
    assert [i["spec"].get("repository", {}).get("from") for i in sent] == [
        {"kind": "DockerImage", "name": repository}, None, None, None]
    assert history(isctl, "python") == {tag: [source.python[tag].digest] for tag in imported}


def test_all_spec_tags_with_failures_and_dry_run(isctl: Isctl, source: Source,
                                                 sent: list[dict]):
    origin, missing = f"{source.host}/cli/dry:a", f"{source.host}/cli/missing:1"
    first = source.push("cli/dry:a")
    isctl.ok("tag", "--insecure", origin, "python:a")  # imports `first`
    isctl.ok("tag", "--insecure", missing, "python:b")  # its import fails
    second = source.push("cli/dry:a")
    before = isctl.api("GET", "/namespaces/default/imagestreams/python")
    not_found = (f"error: tag b failed: manifest {missing} not found on "
                 f"{source.host.rsplit(':', 1)[0]}\n")
    result = isctl("import-image", "python", "--all", "--dry-run")
    assert result.code == 0
    assert result.out.startswith("imagestream.image.openshift.io/python imported with errors "
                                 "(dry run)\n\nImage Name:\tpython:a\n")  # no stream to show
    described(result.out, "python:a", f"{source.host}/cli/dry@{second.digest}", second)
    assert result.err == f"Importing 2 tags {BAR} 2/2\n" + not_found
    assert [(i["spec"]["import"], i["spec"]["images"][0]["to"]["name"]) for i in sent] == [
        (False, "a"), (False, "b")]
    assert isctl.api("GET", "/namespaces/default/imagestreams/python") == before
    # without --dry-run, a takes the new image and b fails again
    result = isctl("import-image", "python", "--all")
    assert result.out.startswith("imagestream.image.openshift.io/python imported with errors\n\n"
                                 "Name:\t\t\tpython\n")
    assert result.err == f"Importing 2 tags {BAR} 2/2\n" + not_found
    assert history(isctl, "python") == {"a": [second.digest, first.digest], "b": []}


def test_a_repository_tag_that_fails_is_reported_as_oc_reports_it(isctl: Isctl,
                                                                   source: Source):
    routes = image_routes(source.layout, source.python["3.12"], "cli/scripted", "1.0")
    routes["GET /v2/cli/scripted/tags/list"] = Canned(200, body=json.dumps(
        {"name": "cli/scripted", "tags": ["1.0", "2.0"]}).encode())  # no manifest for 2.0
    with ScriptedServer(routes) as server:
        repository = f"{server.host}/cli/scripted"
        result = isctl("import-image", "app", "--from", repository, "--all", "--confirm",
                       "--insecure")
    assert result.code == 0
    assert result.out.startswith("imagestream.image.openshift.io/app imported with errors\n")
    assert result.err == (f"Importing 2 tags {BAR} 2/2\nerror: repository tag 2.0 failed: "
                          f"manifest {repository}:2.0 not found on 127.0.0.1\n")


def test_a_repository_that_cannot_be_listed(isctl: Isctl, source: Source, sent: list[dict]):
    absent = f"{source.host}/cli/absent"
    result = isctl("import-image", "app", "--from", absent, "--all", "--confirm", "--insecure")
    # nothing was imported and no stream made: no "imported with errors" for it, exit 1
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"error: repository {absent} failed: tags of {absent} not found on "
                          f"{source.host.rsplit(':', 1)[0]} (NAME_UNKNOWN)\n")
    [listing] = sent
    assert listing["spec"]["import"] is False
    assert isctl("get", "is", "app").code == 1  # nothing was created
    # a stream that exists did import (nothing): that is "imported with errors", as oc says
    isctl.ok("create", "-f", "-", stdin='{"apiVersion": "image.openshift.io/v1", '
                                         '"kind": "ImageStream", "metadata": {"name": "app"}}')
    result = isctl("import-image", "app", "--from", absent, "--all", "--confirm", "--insecure")
    assert (result.code, result.out.split("\n")[0]) == (
        0, "imagestream.image.openshift.io/app imported with errors")


def test_argument_errors(isctl: Isctl, sent: list[dict]):
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
    assert sent == []


@pytest.fixture
def without_imports(isctl: Isctl, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app's discovery as a server from before imports answers it."""
    forward = isctl.adapter.send

    def send(request: requests.PreparedRequest, **kw: Any) -> requests.Response:
        reply = forward(request, **kw)
        if request.method == "GET" and request.url == SERVER + V1:
            body = reply.json()
            body["resources"] = [r for r in body["resources"]
                                 if r["name"] != "imagestreamimports"]
            reply._content = json.dumps(body).encode()
        return reply

    monkeypatch.setattr(isctl.adapter, "send", send)
    yield


def test_a_server_without_imports_says_so(isctl: Isctl, without_imports: None):
    result = isctl("import-image", "python")
    assert result.code == 1
    assert result.err == ("error: this server does not import images yet (it has no "
                          "imagestreamimports resource); use `isctl tag --reference` to record "
                          "a pull spec\n")
