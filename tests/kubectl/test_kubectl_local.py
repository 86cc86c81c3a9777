"""The real kubectl against `make run`, over HTTPS with the kubeconfig the stack writes.

client-go sends a bearer token to an HTTPS server only, so kubectl goes through the
stack's TLS front (local/tls_proxy.py), trusting the CA the kubeconfig carries. It reads
discovery first (/api, /apis, /api/v1, /apis/image.openshift.io/v1), then the resources.

`kubectl create` and `apply` validate a manifest against /openapi/v2 (protobuf) first, as
every kubectl does where the server takes no fieldValidation parameter; kubectl 1.27 and
later read the OpenAPI v3 index at /openapi/v3 and the group-version's document too, to
build apply's strategic merge patch and for `explain` (1.20 reads /openapi/v2 for both).

Skipped only where kubectl is not installed; scripts/setup-system installs Debian's
kubernetes-client.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from chalicelib.api.openapi import group_version_document
from chalicelib.api.routes import ROUTES
from testbed.local_stack import RunningStack, start_stack  # noqa: F401 (a fixture)

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason=(
    "kubectl is not on PATH: apt-get install kubernetes-client (scripts/setup-system does)"))
STREAM = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
          "metadata": {"name": "python", "labels": {"app": "walkthrough"}}}
OPENSHIFT_STREAM = (Path(__file__).resolve().parents[1] / "fixtures" / "openshift" / "library"
                    / "python-centos7.json")


def kubectl(stack: RunningStack, home: Path, *args: str) -> subprocess.CompletedProcess:
    """kubectl with the stack's kubeconfig; HOME is the test's, so discovery is read afresh
    (kubectl caches it under ~/.kube/cache) and the user's own files are left alone."""
    env = {**os.environ, "HOME": str(home), "KUBECONFIG": stack.endpoint["kubeconfig"]}
    return subprocess.run([KUBECTL, *args], env=env, capture_output=True, text=True,
                          timeout=120)


@dataclass(frozen=True)
class Session:
    """kubectl against one stack, with a HOME of its own."""

    stack: RunningStack
    home: Path

    def ok(self, *args: str) -> str:
        """kubectl that must succeed: its output."""
        done = kubectl(self.stack, self.home, *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout


@pytest.fixture
def session(start_stack, tmp_path: Path) -> Session:  # noqa: F811 (start_stack: a fixture)
    home = tmp_path / "home"
    home.mkdir()
    return Session(start_stack(), home)


def test_kubectl_creates_lists_shows_and_deletes_an_image_stream(session, tmp_path):
    stack, home, ok = session.stack, session.home, session.ok

    assert stack.endpoint["tls_api"].startswith("https://")
    assert set(ok("api-resources", "--api-group=image.openshift.io", "-o", "name").split()) >= {
        "imagestreams.image.openshift.io", "imagestreamtags.image.openshift.io"}

    empty = kubectl(stack, home, "get", "is")
    assert (empty.returncode, empty.stdout) == (0, ""), empty.stderr
    assert empty.stderr == "No resources found in default namespace.\n"

    manifest = tmp_path / "stream.json"
    manifest.write_text(json.dumps(STREAM))
    assert ok("create", "-f", str(manifest)) == (
        "imagestream.image.openshift.io/python created\n")

    header, *rows = ok("get", "is").splitlines()
    assert header.split()[0] == "NAME" and [row.split()[0] for row in rows] == ["python"]

    shown = yaml.safe_load(ok("get", "is", "python", "-o", "yaml"))
    assert (shown["apiVersion"], shown["kind"]) == ("image.openshift.io/v1", "ImageStream")
    assert shown["metadata"]["name"] == "python"
    assert shown["metadata"]["namespace"] == "default"
    assert shown["metadata"]["labels"] == {"app": "walkthrough"}
    assert shown["status"]["dockerImageRepository"] == \
        f"{stack.endpoint['registry']}/default/python"

    assert ok("delete", "is", "python") == 'imagestream.image.openshift.io "python" deleted\n'
    gone = kubectl(stack, home, "get", "is", "python")
    assert gone.returncode == 1
    assert gone.stderr.strip() == (
        'Error from server (NotFound): imagestreams.image.openshift.io "python" not found')


def openshift_manifest() -> dict:
    """python-centos7.json from openshift/library as kubectl can apply it here: in the
    image.openshift.io/v1 group (its legacy group-less "v1" is OpenShift 3's, which the
    server accepts in a body but does not list for kubectl to map the kind), its DockerImage
    tags `reference: true` (nothing imported from Docker Hub) and its tags in name order:
    the server answers them in that order, as OpenShift does, and kubectl's apply sends
    the order it read ($setElementOrder) whenever the server's differs."""
    stream = json.loads(OPENSHIFT_STREAM.read_text())
    stream["apiVersion"] = "image.openshift.io/v1"
    for tag in stream["spec"]["tags"]:
        if tag["from"]["kind"] == "DockerImage":
            tag["reference"] = True
    stream["spec"]["tags"].sort(key=lambda tag: tag["name"])
    return stream


def test_kubectl_applies_an_openshift_image_stream_and_explains_its_tags(session, tmp_path):
    stack, ok = session.stack, session.ok
    manifest = tmp_path / "python-centos7.json"
    manifest.write_text(json.dumps(openshift_manifest()))

    # Validated against /openapi/v2, which holds every field the document uses.
    assert ok("apply", "-f", str(manifest)) == "imagestream.image.openshift.io/python created\n"
    version = ok("get", "is", "python", "-o", "jsonpath={.metadata.resourceVersion}")
    stored = json.loads(ok("get", "is", "python", "-o", "json"))
    assert [tag["name"] for tag in stored["spec"]["tags"]] == ["2.7", "3.3", "3.4", "3.5",
                                                                "latest"]

    again = ok("apply", "-f", str(manifest))
    minor = int(re.match(r"\d+", json.loads(ok("version", "--client", "-o", "json"))[
        "clientVersion"]["minor"]).group())
    if minor >= 27:
        # A strategic merge patch built from the v3 schema: spec.tags merge by name, and
        # the server's defaults in them are no difference.
        assert again == "imagestream.image.openshift.io/python unchanged\n"
    else:
        # Before 1.27 kubectl sends a kind it does not know a JSON merge patch, with any list
        # that differs from the server's copy whole: spec.tags does, once the server fills in
        # each tag's generation and policies. The patch changes nothing.
        assert again == "imagestream.image.openshift.io/python configured\n"
    assert ok("get", "is", "python", "-o", "jsonpath={.metadata.resourceVersion}") == version

    explained = " ".join(ok("explain", "is.spec.tags").split())  # undo its line wrapping
    assert "KIND: ImageStream" in explained
    schemas = group_version_document(ROUTES, "image.openshift.io/v1")["components"]["schemas"]
    for name, field in schemas["com.github.openshift.api.image.v1.TagReference"][
            "properties"].items():
        assert f"{name} <" in explained and field["description"] in explained, name


def test_kubectl_prints_selects_patches_labels_and_asks(session, tmp_path):
    """get's columns (the server's Table), -A, --field-selector, patch in each type,
    label, annotate and auth can-i, as a user types them."""
    stack, home, ok = session.stack, session.home, session.ok
    for namespace in ("default", "team"):
        manifest = tmp_path / f"{namespace}.json"
        manifest.write_text(json.dumps({**STREAM, "metadata": {"name": "python"}, "spec": {
            "tags": [{"name": "3.9", "reference": True,
                      "from": {"kind": "DockerImage", "name": "quay.io/team/python:3.9"}}]}}))
        ok("create", "-n", namespace, "-f", str(manifest))

    header, row = ok("get", "is").splitlines()
    assert header.split() == ["NAME", "IMAGE", "REPOSITORY", "TAGS", "UPDATED"]
    assert row.split()[:3] == ["python", f"{stack.endpoint['registry']}/default/python", "3.9"]
    everywhere = ok("get", "is", "-A").splitlines()
    assert everywhere[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert [line.split()[:2] for line in everywhere[1:]] == [
        ["default", "python"], ["team", "python"]]
    assert ok("get", "is", "-A", "--field-selector", "metadata.namespace=team",
              "-o", "name") == "imagestream.image.openshift.io/python\n"
    refused = kubectl(stack, home, "get", "is", "--field-selector", "spec.tags=x")
    assert refused.returncode == 1 and '"spec.tags" is not a known field selector' in \
        refused.stderr

    def tags() -> dict[str, str]:
        stream = json.loads(ok("get", "is", "python", "-o", "json"))
        return {tag["name"]: tag["from"]["name"] for tag in stream["spec"]["tags"]}

    ok("patch", "is", "python", "-p", json.dumps({"spec": {"tags": [{
        "name": "latest", "from": {"kind": "ImageStreamTag", "name": "3.9"}}]}}))
    assert tags() == {"3.9": "quay.io/team/python:3.9", "latest": "3.9"}  # merged by name
    ok("patch", "is", "python", "--type", "json", "-p", json.dumps([
        {"op": "replace", "path": "/spec/tags/1/from/name", "value": "python:3.9"}]))
    assert tags()["latest"] == "python:3.9"
    ok("patch", "is", "python", "--type", "merge", "-p", '{"metadata":{"labels":{"a":"b"}}}')
    ok("label", "is", "python", "tier=web")
    ok("annotate", "is", "python", "owner=ops")
    stream = json.loads(ok("get", "is", "python", "-o", "json"))
    assert stream["metadata"]["labels"] == {"a": "b", "tier": "web"}
    assert stream["metadata"]["annotations"]["owner"] == "ops"

    assert ok("auth", "can-i", "create", "imagestreams") == "yes\n"
    assert ok("auth", "can-i", "list", "imagestreams", "-A") == "yes\n"
    impersonated = kubectl(stack, home, "auth", "can-i", "get", "imagestreams", "--as", "x")
    assert impersonated.returncode != 0 and "impersonat" in impersonated.stderr


def test_kubectl_get_watch_shows_a_tag_moved_during_the_watch(session, tmp_path):
    """`kubectl get istag -w` lists, then watches from the list's resourceVersion; a
    mapping made meanwhile (as a registry push makes one) reaches it through the table's
    stream, the change log and the watch's answer."""
    stack, home = session.stack, session.home
    manifest = tmp_path / "stream.json"
    manifest.write_text(json.dumps(STREAM))
    session.ok("create", "-f", str(manifest))
    digest = "sha256:" + "c" * 64
    env = {**os.environ, "HOME": str(home), "KUBECONFIG": stack.endpoint["kubeconfig"]}
    watcher = subprocess.Popen([KUBECTL, "get", "istag", "-w"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(2)  # the list is made and the watch is waiting
        mapped = stack.map_image("python", "3.12", f"quay.io/team/python@{digest}")
        assert mapped.status_code == 201, mapped.text
        # The watch answers once the change is logged; kubectl prints it and, its watch
        # over, exits (kubectl get -w watches once; informers watch again).
        out, err = watcher.communicate(timeout=60)
    finally:
        watcher.kill()
    rows = [line.split() for line in out.splitlines()]
    assert ["python:3.12", f"quay.io/team/python@{digest}"] in [row[:2] for row in rows], (
        out, err[-3000:])

    # Image stream tags take kubectl's annotate, label and patch too.
    session.ok("annotate", "istag", "python:3.12", "owner=ops")
    session.ok("label", "istag", "python:3.12", "tier=web")
    session.ok("patch", "istag", "python:3.12", "--type", "json", "-p", json.dumps(
        [{"op": "add", "path": "/metadata/annotations/team", "value": "a"}]))
    tag = json.loads(session.ok("get", "istag", "python:3.12", "-o", "json"))
    assert tag["metadata"]["annotations"] == {"owner": "ops", "team": "a"}
    # An istag's labels are its stream's, as OpenShift shows them: labelling it labels both.
    assert tag["metadata"]["labels"] == {"app": "walkthrough", "tier": "web"}
    stream = json.loads(session.ok("get", "is", "python", "-o", "json"))
    assert stream["metadata"]["labels"] == tag["metadata"]["labels"]
