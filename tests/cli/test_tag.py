"""`isctl tag`: every form of `oc tag`, its messages and its errors, in oc's order."""
from __future__ import annotations

import pytest

from .conftest import Isctl, digest, mapping

IMAGE = digest("a")


@pytest.fixture
def python(isctl: Isctl) -> Isctl:
    isctl.api("POST", "/namespaces/default/imagestreams",
              {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
               "metadata": {"name": "python"}})
    isctl.api("POST", "/namespaces/default/imagestreammappings",
              mapping("python", "3.5", IMAGE, f"centos/python-35-centos7@{IMAGE}"))
    return isctl


def spec(isctl: Isctl, name: str, namespace: str = "default") -> dict:
    """The spec tag, read from its stream: an istag without an image is NotFound."""
    stream, _, tag = name.partition(":")
    body = isctl.api("GET", f"/namespaces/{namespace}/imagestreams/{stream}")
    return next(ref for ref in body["spec"]["tags"] if ref["name"] == tag)


def test_istag_source_is_resolved_to_its_image(python: Isctl):
    assert python.ok("tag", "python:3.5", "python:latest") == (
        f"Tag python:latest set to python@{IMAGE}.\n")
    assert spec(python, "python:latest")["from"] == {"kind": "ImageStreamImage",
                                                     "name": f"python@{IMAGE}"}


def test_several_destinations_and_another_namespace(python: Isctl):
    out = python.ok("tag", "python:3.5", "python:a", "python:b", "prod/python:live")
    assert out == (f"Tag python:a set to python@{IMAGE}.\n"
                   f"Tag python:b set to python@{IMAGE}.\n"
                   f"Tag prod/python:live set to python@{IMAGE}.\n")
    # written in prod, the source keeps naming the namespace it came from
    assert spec(python, "python:live", "prod")["from"] == {
        "kind": "ImageStreamImage", "name": f"python@{IMAGE}", "namespace": "default"}


def test_cross_namespace_source(python: Isctl):
    out = python.ok("tag", "default/python:3.5", "web:base", "-n", "shop")
    assert out == f"Tag web:base set to default/python@{IMAGE}.\n"
    assert spec(python, "web:base", "shop")["from"]["namespace"] == "default"


def test_alias_tracks_the_source(python: Isctl):
    assert python.ok("tag", "--alias", "python:3.5", "python:stable") == (
        "Tag python:stable set up to track python:3.5.\n")
    assert spec(python, "python:stable")["from"] == {"kind": "ImageStreamTag",
                                                     "name": "python:3.5"}
    other = digest("b")
    python.api("POST", "/namespaces/default/imagestreammappings",
               mapping("python", "3.5", other, f"centos/python-35-centos7@{other}"))
    stable = python.api("GET", "/namespaces/default/imagestreamtags/python:stable")
    assert stable["image"]["metadata"]["name"] == other


def test_external_image_forms(python: Isctl):
    assert python.ok("tag", "docker.io/python:3.6.0", "python:3.6", "--reference") == (
        "Tag python:3.6 set to docker.io/python:3.6.0.\n")
    assert spec(python, "python:3.6")["reference"] is True
    assert python.ok("tag", "docker.io/python:3.6.0", "python:3.6", "--scheduled") == (
        "Tag python:3.6 set to import docker.io/python:3.6.0 periodically.\n")
    assert spec(python, "python:3.6")["importPolicy"]["scheduled"] is True
    # re-running without --scheduled turns periodic import off
    python.ok("tag", "docker.io/python:3.6.0", "python:3.6")
    assert not spec(python, "python:3.6")["importPolicy"].get("scheduled")
    assert python.ok("tag", "docker.io/python:3.6.0", "prod/python:3.6", "--scheduled") == (
        "Tag prod/python:3.6 set to docker.io/python:3.6.0 periodically.\n")


def test_import_flags_and_policies_reach_the_spec(python: Isctl):
    python.ok("tag", "quay.io/org/app:1", "python:app", "--insecure", "--reference-policy",
              "local", "--import-mode", "PreserveOriginal", "--reference")
    tag = spec(python, "python:app")
    assert tag["importPolicy"]["insecure"] is True
    assert tag["importPolicy"]["importMode"] == "PreserveOriginal"
    assert tag["referencePolicy"] == {"type": "Local"}


def test_source_kind_inference_and_hint(python: Isctl):
    # no registry, no tag: a Docker Hub repository
    assert python.ok("tag", "busybox", "python:box", "--reference") == (
        "Tag python:box set to busybox.\n")
    assert spec(python, "python:box")["from"]["kind"] == "DockerImage"
    # @id: an image of a stream
    assert python.ok("tag", f"python@{IMAGE}", "python:pinned") == (
        f"Tag python:pinned set to python@{IMAGE}.\n")
    assert spec(python, "python:pinned")["from"]["kind"] == "ImageStreamImage"
    # --source=docker makes a name:tag an external image
    assert python.ok("tag", "--source=docker", "python:3.5", "python:hub", "--reference") == (
        "Tag python:hub set to python:3.5.\n")
    assert spec(python, "python:hub")["from"] == {"kind": "DockerImage", "name": "python:3.5"}
    # --source=istag with the Docker default namespace means the current namespace
    assert python.ok("tag", "--source=istag", "library/python:3.5", "python:lib") == (
        f"Tag python:lib set to default/python@{IMAGE}.\n")


def test_delete(python: Isctl):
    python.ok("tag", "python:3.5", "python:a", "python:b")
    assert python.ok("tag", "-d", "python:a", "python:b") == (
        "Deleted tag default/python:a.\nDeleted tag default/python:b.\n")
    result = python("tag", "-d", "python:a")
    assert (result.code, result.err) == (
        1, 'Error from server (NotFound): imagestreamtags.image.openshift.io "python:a" '
           "not found\n")


@pytest.mark.parametrize("args, message", [
    (["python:3.5", "python:x", "--scheduled"],
     "only container images can have importing flags set"),
    (["python:3.5", "python:x", "--insecure"],
     "only container images can have importing flags set"),
    (["--alias", "python:3.5", "other:x"], "cannot set alias across different Image Streams"),
    (["--alias", "python:3.5", "prod/python:x"],
     "cannot set alias across different Image Streams"),
    (["python:3.5", "python"], '"python" must be of the form <stream_name>:<tag>'),
    (["python:nothing", "python:x"],
     '"python:nothing" is not currently pointing to an image, cannot use it as the source '
     "of a tag"),
    (["Python:3.5", "python:x"], "invalid SOURCE: repository name must be lowercase"),
    (["--source=istag", "quay.io/a/b:1", "python:x"],
     "server in SOURCE is only allowed when providing a container image"),
    (["--source=isimage", "python:3.5", "python:x"],
     "--source=ImageStreamImage requires a valid <name>@<id> in SOURCE"),
    (["--source=istag", "python", "python:x"],
     "--source=ImageStreamTag requires a valid <name>:<tag> in SOURCE"),
])
def test_errors(python: Isctl, args: list[str], message: str):
    result = python("tag", *args)
    assert (result.code, result.err, result.out) == (1, f"error: {message}\n", "")


def test_missing_source_stream_is_the_servers_not_found(python: Isctl):
    result = python("tag", "ghost:1", "python:x")
    assert result.code == 1
    assert result.err == ('Error from server (NotFound): imagestreams.image.openshift.io '
                          '"ghost" not found\n')


@pytest.mark.parametrize("args, message", [
    ([], "you must specify a source and at least one destination or one or more tags to "
         "delete"),
    (["python:3.5"], "at least a destination is required"),
    (["-d"], "at least a destination is required"),
    (["--source=tarball", "x", "python:y"], 'invalid source "tarball"; valid values are '
     "docker, dockerimage, imagestreamimage, imagestreamtag, isimage, istag"),
    (["--alias", "-d", "python:3.5"], "--alias and --delete may not be both specified"),
    (["-d", "--source=docker", "python:3.5"], "cannot specify a source kind when deleting"),
    (["-d", "--scheduled", "python:3.5"],
     "cannot set flags for importing images when deleting a tag"),
    (["--alias", "--source=docker", "python:3.5", "python:x", "--scheduled"],
     "cannot set a container image tag as an alias and also set import flags"),
    (["docker.io/python:3", "python:x", "--reference-policy", "remote"],
     "reference policy must be set to 'source' or 'local'"),
    (["docker.io/python:3", "python:x", "--import-mode", "All"],
     "valid ImportMode values are Legacy or PreserveOriginal"),
    (["python:3.5", "python:x", "--no-such-flag"], "unknown flag: --no-such-flag"),
])
def test_usage_errors_exit_2(python: Isctl, args: list[str], message: str):
    """Arguments missing, flags, their values and flags that cannot go together: oc's
    words, where to find help, exit 2, and nothing asked of the server."""
    before = len(python.adapter.requests)
    result = python("tag", *args)
    assert (result.code, result.err, result.out) == (
        2, f"error: {message}\nSee 'isctl tag -h' for help and examples\n", "")
    assert len(python.adapter.requests) == before


def test_server_validation_is_reported_as_kubectl_does(python: Isctl):
    result = python("tag", "docker.io/python:3", "python:bad~tag", "--reference")
    assert result.code == 1
    assert result.err.startswith('The ImageStreamTag "python:bad~tag" is invalid: ')
