"""isctl on OpenShift's own sample streams (openshift/library), whose `latest` names its source
in the one-part form (`"from": {"kind": "ImageStreamTag", "name": "3.5"}`): a tag of the same
stream. Every DockerImage tag is made a reference before posting, so nothing is imported."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import Isctl, digest, mapping
from .test_describe import tag_blocks

LIBRARY = Path(__file__).resolve().parents[1] / "fixtures" / "openshift" / "library"


def sample(file_name: str, namespace: str = "default") -> dict:
    stream = json.loads((LIBRARY / file_name).read_text())
    stream["metadata"]["namespace"] = namespace
    for ref in stream["spec"]["tags"]:
        if ref["from"]["kind"] == "DockerImage":
            ref["reference"] = True
    return stream


def create(isctl: Isctl, stream: dict) -> None:
    isctl.ok("create", "-f", "-", stdin=json.dumps(stream))


def push(isctl: Isctl, tag: str, char: str) -> None:
    isctl.api("POST", "/namespaces/default/imagestreammappings",
              mapping("python", tag, digest(char), f"quay.io/sclorg/python@{digest(char)}"))


def spec_tag(isctl: Isctl, tag: str) -> dict:
    body = isctl.api("GET", "/namespaces/default/imagestreams/python")
    return next(ref for ref in body["spec"]["tags"] if ref["name"] == tag)


@pytest.fixture
def python(isctl: Isctl) -> Isctl:
    create(isctl, sample("python-centos7.json"))
    return isctl


def test_samples_keep_the_one_part_form(python: Isctl):
    assert spec_tag(python, "latest")["from"] == {"kind": "ImageStreamTag", "name": "3.5"}


def test_describe_shows_a_one_part_alias_as_a_two_part_one(python: Isctl):
    two_part = sample("python-centos7.json", namespace="other")
    next(ref for ref in two_part["spec"]["tags"] if ref["name"] == "latest")["from"] = {
        "kind": "ImageStreamTag", "name": "python:3.5"}
    create(python, two_part)
    one = python.ok("describe", "is/python")
    blocks = tag_blocks(one)
    assert [block[0] for block in blocks] == ["3.5 (latest)", "3.4", "3.3", "2.7"]
    assert blocks[0][:2] == ["3.5 (latest)",
                             "  reference to registry centos/python-35-centos7:latest"]
    assert blocks[0][-2:] == ["  * centos/python-35-centos7:latest",
                              "      Less than a second ago"]
    assert "Tags:\t\t\t5\n" in one  # the alias counts, though it shares its target's block
    other = python.ok("describe", "is/python", "-n", "other")
    assert other.replace("\tother\n", "\tdefault\n").replace("/other/", "/default/") == one


def test_describe_ruby_sample(isctl: Isctl):
    create(isctl, sample("ruby-centos7.json"))
    blocks = tag_blocks(isctl.ok("describe", "is/ruby"))
    assert [block[0] for block in blocks] == ["2.3 (latest)", "2.2", "2.0"]


def test_one_part_image_source_and_a_tag_tracking_it(python: Isctl):
    push(python, "3.5", "a")
    python.api("PUT", "/namespaces/default/imagestreamtags/python:pinned",
               {"kind": "ImageStreamTag", "apiVersion": "image.openshift.io/v1",
                "metadata": {"name": "python:pinned"},
                "tag": {"name": "pinned", "from": {"kind": "ImageStreamImage",
                                                   "name": digest("a")}}})
    python.api("PUT", "/namespaces/default/imagestreamtags/python:stable",
               {"kind": "ImageStreamTag", "apiVersion": "image.openshift.io/v1",
                "metadata": {"name": "python:stable"},
                "tag": {"name": "stable", "from": {"kind": "ImageStreamTag",
                                                   "name": "pinned"}}})
    blocks = tag_blocks(python.ok("describe", "is/python"))
    # oc prints the source as the spec writes it
    assert blocks[-1] == ["pinned (stable)", f"  tagged from {digest('a')}",
                          f"  * quay.io/sclorg/python@{digest('a')}",
                          "      Less than a second ago"]


def test_alias_of_a_tag_with_a_one_part_source(python: Isctl):
    assert python.ok("tag", "--alias", "python:3.5", "python:stable") == (
        "Tag python:stable set up to track python:3.5.\n")
    assert python.ok("tag", "--alias", "python:latest", "python:prod") == (
        "Tag python:prod set up to track python:latest.\n")
    push(python, "3.5", "a")
    blocks = tag_blocks(python.ok("describe", "is/python"))
    assert blocks[0][0] == "3.5 (latest, prod, stable)"
    status = python.api("GET", "/namespaces/default/imagestreams/python")["status"]["tags"]
    heads = {tag["tag"]: tag["items"][0]["image"] for tag in status}
    assert heads["latest"] == heads["prod"] == heads["stable"] == digest("a")


def test_alias_making_a_loop_through_a_one_part_source_is_refused(python: Isctl):
    result = python("tag", "--alias", "python:latest", "python:3.5")
    assert result.code == 1
    assert result.err.startswith('The ImageStreamTag "python:3.5" is invalid: ')
    assert "reference tag is circular" in result.err
    assert spec_tag(python, "3.5")["from"]["kind"] == "DockerImage"


def test_copy_of_a_tag_holding_only_a_pull_spec(python: Isctl):
    # oc reads the source's current event: no image, so its pull spec is the source
    assert python.ok("tag", "--reference", "python:latest", "python:copy") == (
        "Tag python:copy set to centos/python-35-centos7:latest.\n")
    assert spec_tag(python, "copy")["from"] == {"kind": "DockerImage",
                                                "name": "centos/python-35-centos7:latest"}


def test_history_of_a_tag_without_an_image(python: Isctl):
    lines = python.ok("history", "istag/python:latest").rstrip("\n").split("\n")
    assert len(lines) == 2
    assert lines[1].split()[:4] == ["0", "<none>", "centos/python-35-centos7:latest", "1"]
    assert python("history", "python:nope").err == (
        'Error from server (NotFound): imagestreamtags.image.openshift.io "python:nope" '
        "not found\n")


def test_rollback_of_a_tag_tracking_a_one_part_source(python: Isctl):
    assert python("rollback", "python:latest").err == (
        "error: python:latest has only 0 older entries in its history\n")
    push(python, "3.5", "a")
    python.later(60)
    push(python, "3.5", "b")
    steps = python.ok("history", "python:latest").rstrip("\n").split("\n")[1:]
    assert [line.split()[1] for line in steps] == [
        digest("b")[:19], digest("a")[:19], "<none>"]
    result = python("rollback", "python:latest")
    assert result.code == 0
    assert result.out.split("\n")[0] == (
        f"Tag python:latest rolled back from python@{digest('b')} to python@{digest('a')}.")
    assert result.err == ("warning: python:latest tracked python:3.5; it now stays on the "
                          "image it was rolled back to\n")
    assert spec_tag(python, "latest")["from"] == {"kind": "ImageStreamImage",
                                                  "name": f"python@{digest('a')}"}
    # back to the first event, a pull spec without an image: recorded as a reference
    out = python.ok("rollback", "python:latest", "--steps", "3")
    assert out.split("\n")[0] == (
        f"Tag python:latest rolled back from python@{digest('a')} to "
        "centos/python-35-centos7:latest.")
    blocks = tag_blocks(python.ok("describe", "is/python"))
    assert [block[0] for block in blocks][:2] == ["latest", "3.5"]
    assert blocks[0][1] == "  reference to registry centos/python-35-centos7:latest"


def test_tags_without_an_image_are_not_found_as_istags(python: Isctl):
    for args in (("describe", "istag/python:latest"), ("get", "istag", "python:latest")):
        result = python(*args)
        assert (result.code, result.err) == (
            1, 'Error from server (NotFound): imagestreamtags.image.openshift.io '
               '"python:latest" not found\n')
    assert python("get", "istag").err == "No resources found in default namespace.\n"
    push(python, "3.5", "a")
    assert python.ok("get", "istag", "-o", "name") == (
        "imagestreamtag.image.openshift.io/python:3.5\n"
        "imagestreamtag.image.openshift.io/python:latest\n")
