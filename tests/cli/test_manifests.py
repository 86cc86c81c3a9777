"""`isctl create -f`, `apply -f` and `delete -f|TYPE/NAME`: documents, stdin, kubectl's words."""
from __future__ import annotations

import json
from pathlib import Path

from .conftest import Isctl, digest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

STREAMS = """\
apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: web
  labels: {app: shop, tier: front}
spec:
  tags:
  - name: "1"
    from: {kind: DockerImage, name: "quay.io/shop/web:1"}
    reference: true
---
# a comment-only document and an empty one are skipped
---
apiVersion: v1
kind: ImageStream
metadata:
  name: db
"""


def test_reference_chapter_stream_applies_as_is(isctl: Isctl):
    """Section 6.2's YAML: legacy apiVersion, server fields, status, unquoted timestamps."""
    path = str(FIXTURES / "imagestream.yaml")
    assert isctl.ok("apply", "-f", path) == (
        "imagestream.image.openshift.io/origin-ruby-sample created\n")
    stream = isctl.api("GET", "/namespaces/test/imagestreams/origin-ruby-sample")
    assert stream["metadata"]["labels"] == {"app": "ruby-sample-build",
                                            "template": "application-template-stibuild"}
    assert stream["metadata"]["annotations"]["openshift.io/generated-by"] == "OpenShiftNewApp"
    assert isctl.ok("apply", "-f", path) == (
        "imagestream.image.openshift.io/origin-ruby-sample unchanged\n")
    # its namespace is its own; -n naming another one is refused as kubectl refuses it
    result = isctl("apply", "-f", path, "-n", "prod")
    assert result.code == 1 and result.err == (
        'error: the namespace from the provided object "test" does not match the namespace '
        "\"prod\". You must pass '--namespace=test' to perform this operation.\n")


def test_reference_chapter_mapping_creates(isctl: Isctl):
    isctl.ok("create", "-f", str(FIXTURES / "imagestream.yaml"))
    assert isctl.ok("create", "-f", str(FIXTURES / "imagestreammapping.yaml")) == (
        "imagestreammapping.image.openshift.io/origin-ruby-sample created\n")
    istag = isctl.api("GET", "/namespaces/test/imagestreamtags/origin-ruby-sample:latest")
    labels = istag["image"]["dockerImageMetadata"]["Config"]["Labels"]
    assert labels["build-date"] == "2015-12-23"  # an unquoted date stayed a string


def test_several_documents_from_stdin_and_errors_carry_on(isctl: Isctl):
    assert isctl.ok("create", "-f", "-", stdin=STREAMS) == (
        "imagestream.image.openshift.io/web created\n"
        "imagestream.image.openshift.io/db created\n")
    result = isctl("create", "-f", "-", stdin=STREAMS)
    assert result.code == 1
    assert result.err == (
        'Error from server (AlreadyExists): imagestreams.image.openshift.io "web" already '
        "exists\n"
        'Error from server (AlreadyExists): imagestreams.image.openshift.io "db" already '
        "exists\n")


def test_json_list_and_directory(isctl: Isctl, tmp_path: Path):
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
         "metadata": {"name": f"s{i}"}} for i in range(2)]}))
    (folder / "b.yml").write_text("apiVersion: v1\nkind: ImageStream\nmetadata: {name: s2}\n")
    (folder / "notes.txt").write_text("not a manifest")
    assert isctl.ok("create", "-f", "manifests", "-o", "name") == (
        "imagestream.image.openshift.io/s0\nimagestream.image.openshift.io/s1\n"
        "imagestream.image.openshift.io/s2\n")
    assert isctl.ok("delete", "-f", "manifests") == (
        'imagestream.image.openshift.io "s0" deleted\n'
        'imagestream.image.openshift.io "s1" deleted\n'
        'imagestream.image.openshift.io "s2" deleted\n')


def test_apply_configures_and_removes_what_the_manifest_dropped(isctl: Isctl):
    isctl.ok("apply", "-f", "-", stdin=STREAMS)
    changed = STREAMS.replace("labels: {app: shop, tier: front}", "labels: {app: shop}") \
        .replace('quay.io/shop/web:1"', 'quay.io/shop/web:1.1"')
    assert isctl.ok("apply", "-f", "-", stdin=changed) == (
        "imagestream.image.openshift.io/web configured\n"
        "imagestream.image.openshift.io/db unchanged\n")
    web = isctl.api("GET", "/namespaces/default/imagestreams/web")
    assert web["metadata"]["labels"] == {"app": "shop"}
    assert web["spec"]["tags"][0]["from"]["name"] == "quay.io/shop/web:1.1"
    assert "kubectl.kubernetes.io/last-applied-configuration" in web["metadata"]["annotations"]
    assert isctl.ok("apply", "-f", "-", stdin=changed).endswith("web unchanged\n"
                                                                "imagestream.image.openshift"
                                                                ".io/db unchanged\n")


def test_apply_and_create_image_stream_tags(isctl: Isctl):
    istag = ("apiVersion: image.openshift.io/v1\nkind: ImageStreamTag\n"
             "metadata: {name: 'web:edge'}\n"
             "tag: {from: {kind: DockerImage, name: 'quay.io/shop/web:edge'}, reference: true}\n")
    assert isctl.ok("apply", "-f", "-", stdin=istag) == (
        "imagestreamtag.image.openshift.io/web:edge created\n")
    assert isctl.ok("apply", "-f", "-", stdin=istag) == (
        "imagestreamtag.image.openshift.io/web:edge unchanged\n")
    moved = istag.replace("web:edge'}, reference", "web:edge2'}, reference")
    assert isctl.ok("apply", "-f", "-", stdin=moved) == (
        "imagestreamtag.image.openshift.io/web:edge configured\n")
    result = isctl("create", "-f", "-", stdin=istag.replace("web:edge'", "web:other'"),
                   )
    assert result.code == 0 and result.out.endswith("web:other created\n")


def test_delete_by_name(isctl: Isctl):
    isctl.ok("create", "-f", "-", stdin=STREAMS)
    isctl.ok("tag", "--reference", "quay.io/shop/web:2", "web:2")
    assert isctl.ok("delete", "istag/web:2") == (
        'imagestreamtag.image.openshift.io "web:2" deleted\n')
    assert isctl.ok("delete", "is", "web", "db") == (
        'imagestream.image.openshift.io "web" deleted\n'
        'imagestream.image.openshift.io "db" deleted\n')
    result = isctl("delete", "is/web")
    assert (result.code, result.err) == (
        1, 'Error from server (NotFound): imagestreams.image.openshift.io "web" not found\n')
    assert isctl("delete", "is/web", "--ignore-not-found").code == 0


def test_manifest_errors(isctl: Isctl, tmp_path: Path):
    result = isctl("create", "-f", "missing.yaml")
    assert (result.code, result.err) == (1, 'error: the path "missing.yaml" does not exist\n')
    result = isctl("create", "-f", "-", stdin="metadata: {name: x}\n")
    assert result.err == ('error: error validating "STDIN": error validating data: '
                          "[apiVersion not set, kind not set]\n")
    result = isctl("create", "-f", "-", stdin="apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n")
    assert result.err == 'error: no matches for kind "Pod" in version "v1"\n'
    result = isctl("create", "-f", "-", stdin="a: [unclosed\n")
    assert result.code == 1 and result.err.startswith("error: error parsing STDIN:")
    bad = ("apiVersion: v1\nkind: ImageStream\nmetadata:\n  name: Bad_Name\n")
    result = isctl("create", "-f", "-", stdin=bad)
    assert result.err.startswith('The ImageStream "Bad_Name" is invalid: metadata.name: ')
    assert isctl("create").code == 2
    assert isctl("delete").code == 2
    mapping = json.dumps({"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
                          "metadata": {"name": "ghost"}, "tag": "1",
                          "image": {"metadata": {"name": digest("a")},
                                    "dockerImageReference": f"q.io/x@{digest('a')}"}})
    result = isctl("create", "-f", "-", stdin=mapping)
    assert result.err == ('Error from server (NotFound): imagestreams.image.openshift.io '
                          '"ghost" not found\n')
