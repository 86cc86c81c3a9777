"""Beyond oc: `isctl history` and `isctl rollback` over a tag's own history."""
from __future__ import annotations

import json

import pytest

from .conftest import Isctl, digest, mapping


@pytest.fixture
def web(isctl: Isctl) -> Isctl:
    isctl.ok("create", "-f", "-", stdin='{"apiVersion": "v1", "kind": "ImageStream", '
                                         '"metadata": {"name": "web"}}')
    for char in "abc":
        isctl.api("POST", "/namespaces/default/imagestreammappings",
                  mapping("web", "latest", digest(char), f"quay.io/shop/web@{digest(char)}"))
        isctl.later(3600)
    return isctl


def test_history_table(web: Isctl):
    out = web.ok("history", "istag/web:latest")
    assert out.split("\n")[0].split() == ["STEP", "IMAGE", "IMAGE", "REFERENCE", "GENERATION",
                                          "CREATED"]
    lines = out.strip().split("\n")[1:]
    assert [line.split()[:2] for line in lines] == [
        ["0", "sha256:cccccccccccc"], ["1", "sha256:bbbbbbbbbbbb"], ["2", "sha256:aaaaaaaaaaaa"]]
    assert [line.split("   ")[-1].strip() for line in lines] == [
        "About an hour ago", "2 hours ago", "3 hours ago"]
    assert all(line.split()[3] == "1" for line in lines)  # the generation
    wide = web.ok("history", "web:latest", "-o", "wide")
    assert digest("c") in wide.split("\n")[1]
    data = json.loads(web.ok("history", "web:latest", "-o", "json"))
    assert [e["image"] for e in data["items"]] == [digest("c"), digest("b"), digest("a")]


def test_rollback_one_step_then_to_a_digest(web: Isctl):
    assert web.ok("rollback", "web:latest") == (
        f"Tag web:latest rolled back from web@{digest('c')} to web@{digest('b')}.\n"
        f"  was: quay.io/shop/web@{digest('c')} (generation 1, first tagged About an hour ago)\n"
        f"  now: quay.io/shop/web@{digest('b')} (generation 1, first tagged 2 hours ago)\n")
    history = web.api("GET", "/namespaces/default/imagestreams/web")["status"]["tags"][0]
    assert [e["image"] for e in history["items"]] == [
        digest("b"), digest("c"), digest("b"), digest("a")]  # nothing is lost
    out = web.ok("rollback", "istag/web:latest", "--to", "aaaa")
    assert out.startswith(f"Tag web:latest rolled back from web@{digest('b')} to "
                          f"web@{digest('a')}.\n")
    assert web.ok("rollback", "web:latest", "--to", digest("b")[:12]).startswith(
        "Tag web:latest rolled back")
    assert web.api("GET", "/namespaces/default/imagestreamtags/web:latest")["image"][
        "metadata"]["name"] == digest("b")


def test_rollback_warns_when_a_tracking_tag_stops_tracking(web: Isctl):
    web.ok("tag", "--alias", "web:latest", "web:stable")
    web.api("POST", "/namespaces/default/imagestreammappings",
            mapping("web", "latest", digest("d"), f"quay.io/shop/web@{digest('d')}"))
    result = web("rollback", "web:stable")
    assert result.code == 0
    assert result.err == ("warning: web:stable tracked web:latest; it now stays on the image "
                          "it was rolled back to\n")


def test_rollback_of_a_copy_from_another_stream_warns_of_nothing(web: Isctl):
    # a tag from another stream's tag is copied once, never tracked: nothing stops moving
    web.ok("create", "-f", "-", stdin='{"apiVersion": "v1", "kind": "ImageStream", '
                                       '"metadata": {"name": "copy"}}')
    web.api("PUT", "/namespaces/default/imagestreamtags/copy:latest",
            {"kind": "ImageStreamTag", "apiVersion": "image.openshift.io/v1",
             "metadata": {"name": "copy:latest"},
             "tag": {"name": "latest", "from": {"kind": "ImageStreamTag", "name": "web:latest"}}})
    web.api("POST", "/namespaces/default/imagestreammappings",
            mapping("copy", "latest", digest("d"), f"quay.io/shop/web@{digest('d')}"))
    result = web("rollback", "copy:latest")
    assert (result.code, result.err) == (0, "")


def test_rollback_errors(web: Isctl):
    assert web("rollback", "web:latest", "--steps", "3").err == (
        "error: web:latest has only 2 older entries in its history\n")
    assert web("rollback", "web:latest", "--to", "ffff").err == (
        'error: no image "ffff" in the history of web:latest\n')
    result = web("rollback", "web:nope")
    assert result.err == ('Error from server (NotFound): imagestreamtags.image.openshift.io '
                          '"web:nope" not found\n')
    assert web("rollback", "web:latest", "--to", "a", "--steps", "1").code == 2
    assert web("rollback", "web").code == 2
    assert web("rollback", "web:latest", "--steps", "0").code == 2


def test_rollback_to_the_current_image_changes_nothing(web: Isctl):
    web.api("POST", "/namespaces/default/imagestreammappings",
            mapping("web", "latest", digest("a"), f"quay.io/shop/web@{digest('a')}"))
    assert web.ok("rollback", "web:latest", "--to", "aaaa") == (
        f"Tag web:latest already points to web@{digest('a')}.\n")


def test_pull_spec_only_history(isctl: Isctl):
    """Events without an image are rolled back as references, not imports."""
    isctl.ok("create", "-f", "-", stdin='{"apiVersion": "v1", "kind": "ImageStream", '
                                         '"metadata": {"name": "web"}}')
    isctl.ok("tag", "--reference", "quay.io/shop/web:1", "web:one")
    isctl.later(60)
    isctl.api("POST", "/namespaces/default/imagestreammappings",
              mapping("web", "one", digest("e"), f"quay.io/shop/web@{digest('e')}"))
    out = isctl.ok("rollback", "web:one")
    assert out.split("\n")[0] == (
        f"Tag web:one rolled back from web@{digest('e')} to quay.io/shop/web:1.")
    tag = isctl.api("GET", "/namespaces/default/imagestreamtags/web:one")["tag"]
    assert tag["from"] == {"kind": "DockerImage", "name": "quay.io/shop/web:1"}
    assert tag["reference"] is True
