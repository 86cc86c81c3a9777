"""What a new user met going through the reference chapter with isctl (issue 20): a
cross-namespace tag with only system:image-puller, digest prefixes, one cause printed once,
and `isctl events` without AWS credentials. Each with its message and exit code."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from chalicelib import wiring
from testbed.auth import grant

from .conftest import Isctl, digest, mapping

IMAGE = digest("a")
SHARED = "team"  # the namespace whose images are shared
MINE = "mine"  # bob's own namespace


def stream(isctl: Isctl, name: str, namespace: str = "default") -> None:
    isctl.ok("create", "-n", namespace, "-f", "-", stdin=(
        '{"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", '
        f'"metadata": {{"name": "{name}"}}}}'))


@pytest.fixture
def shared(isctl: Isctl) -> Isctl:
    """python:latest in `team` pointing at IMAGE, and python:ref a reference (no image)."""
    stream(isctl, "python", SHARED)
    isctl.api("POST", f"/namespaces/{SHARED}/imagestreammappings",
              mapping("python", "latest", IMAGE, f"quay.io/team/python@{IMAGE}", SHARED))
    isctl.ok("tag", "--reference", "quay.io/team/python:ref", "python:ref", "-n", SHARED)
    return isctl


def test_cross_namespace_tag_needs_only_image_puller(shared: Isctl):
    grant(wiring.services(), "bob", "system:image-puller", SHARED)
    bob = grant(wiring.services(), "bob", "edit", MINE)
    before = len(shared.adapter.requests)
    assert shared.ok("-n", MINE, "tag", f"{SHARED}/python:latest", "app:prod",
                     "--token", bob) == f"Tag app:prod set to {SHARED}/python@{IMAGE}.\n"
    read = [path for method, path in shared.adapter.requests[before:] if method == "GET"]
    # in the source's namespace the ImageStreamTag, as system:image-puller allows, never the
    # stream itself; in its own the destination, whose pin the tag keeps
    assert read == [f"/apis/image.openshift.io/v1/namespaces/{SHARED}/imagestreamtags/"
                    "python:latest",
                    f"/apis/image.openshift.io/v1/namespaces/{MINE}/imagestreamtags/app:prod"]
    described = shared.ok("describe", "istag/app:prod", "-n", MINE, "--token", bob)
    assert described.startswith(f"Image Name:\t{IMAGE}\n")
    # a tag without an image has no ImageStreamTag; bob may not read the stream that says
    # why, so he is told what the server told him
    result = shared("-n", MINE, "tag", f"{SHARED}/python:ref", "app:ref", "--token", bob)
    assert (result.code, result.out, result.err) == (
        1, "", 'Error from server (NotFound): imagestreamtags.image.openshift.io '
               '"python:ref" not found\n')
    # someone who may read the stream gets oc's answer for it
    result = shared("-n", MINE, "tag", f"{SHARED}/python:ref", "app:ref")
    assert (result.code, result.out) == (0, "Tag app:ref set to quay.io/team/python:ref.\n")


def test_a_digest_prefix_names_an_image_of_the_stream(shared: Isctl):
    assert shared.ok("tag", f"python@{IMAGE[:15]}", "python:pinned", "-n", SHARED) == (
        f"Tag python:pinned set to python@{IMAGE}.\n")
    assert shared.ok("tag", "python@aaaaaaaa", "python:bare", "-n", SHARED) == (
        f"Tag python:bare set to python@{IMAGE}.\n")
    spec = shared.api("GET", f"/namespaces/{SHARED}/imagestreams/python")["spec"]["tags"]
    assert {t["name"]: t["from"]["name"] for t in spec}["pinned"] == f"python@{IMAGE}"
    # from another namespace, with --source
    assert shared.ok("tag", "--source=isimage", f"{SHARED}/python@sha256:aaaa", "copy:1") == (
        f"Tag copy:1 set to {SHARED}/python@{IMAGE}.\n")
    result = shared("tag", "python@sha256:bbbb", "python:x", "-n", SHARED)
    assert (result.code, result.err) == (
        1, 'Error from server (NotFound): imagestreamimages.image.openshift.io '
           '"python@sha256:bbbb" not found\n')
    result = shared("tag", "--source=docker", "python@sha256:aaaa", "python:x", "-n", SHARED)
    assert (result.code, result.err) == (1, "error: invalid SOURCE: invalid reference format\n")


def test_an_ambiguous_digest_prefix_is_the_servers_conflict(isctl: Isctl):
    stream(isctl, "web")
    for n, char in enumerate("01"):
        image = "sha256:ab" + char * 62
        isctl.api("POST", "/namespaces/default/imagestreammappings",
                  mapping("web", str(n), image, f"quay.io/web@{image}"))
    result = isctl("tag", "web@sha256:ab", "web:x")
    assert (result.code, result.out, result.err) == (
        1, "", 'Error from server (Conflict): multiple images match the prefix "sha256:ab"\n')


def test_one_invalid_tag_prints_its_cause_once(isctl: Isctl):
    stream(isctl, "python")
    result = isctl("tag", "docker.io/python:3", "python:bad~tag", "--reference")
    assert (result.code, result.out, result.err) == (
        1, "", 'The ImageStreamTag "python:bad~tag" is invalid: metadata.name: Invalid value: '
               '"bad~tag": invalid tag "bad~tag" format, tags must start with an alphanumeric '
               "character followed by alphanumeric, '.' or '-' characters, and have a maximum "
               "of 128 characters\n")


def test_usage_error_of_a_tag_without_destination(isctl: Isctl):
    result = isctl("tag", "python:latest")
    assert (result.code, result.out, result.err) == (
        2, "", "error: at least a destination is required\n"
               "See 'isctl tag -h' for help and examples\n")


def test_events_without_aws_credentials(isctl: Isctl, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path):
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = isctl("events", "--queue", "https://sqs.us-east-1.amazonaws.com/123456789012/tags",
                   "--timeout", "1")
    assert (result.code, result.out, result.err) == (
        1, "", "error: no AWS credentials to read the queue: set AWS_ACCESS_KEY_ID and "
               "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE\n")
