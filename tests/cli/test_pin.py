"""`isctl tag --pin/--unpin` and `isctl rollback --pin`: a rollback that holds."""
from __future__ import annotations

import pytest

from .conftest import Isctl, digest, mapping

PINNED = "imagestreams.dev/pinned"
TAG = "/namespaces/default/imagestreamtags/web:latest"


@pytest.fixture
def web(isctl: Isctl) -> Isctl:
    isctl.ok("create", "-f", "-", stdin='{"apiVersion": "v1", "kind": "ImageStream", '
                                         '"metadata": {"name": "web"}}')
    for char in "ab":
        push(isctl, char)
    return isctl


def push(isctl: Isctl, char: str) -> None:
    isctl.api("POST", "/namespaces/default/imagestreammappings",
              mapping("web", "latest", digest(char), f"quay.io/shop/web@{digest(char)}"))
    isctl.later(60)


def image(isctl: Isctl) -> str:
    return isctl.api("GET", TAG)["image"]["metadata"]["name"]


def pinned(isctl: Isctl) -> bool:
    return (isctl.api("GET", TAG)["metadata"].get("annotations") or {}).get(PINNED) == "true"


def test_rollback_pin_holds_against_a_push_until_unpinned(web: Isctl):
    out = web.ok("rollback", "web:latest", "--pin")
    assert out.startswith(f"Tag web:latest rolled back from web@{digest('b')} to "
                          f"web@{digest('a')}.\n")
    assert out.endswith("Tag web:latest is pinned: imports, pushes and tracking leave it here "
                        "until `isctl tag --unpin web:latest`.\n")
    assert pinned(web)
    push(web, "c")
    assert image(web) == digest("a")
    [condition] = web.api("GET", TAG)["conditions"]
    assert (condition["type"], condition["reason"]) == ("NewerImageWaiting", "Pinned")
    assert digest("c") in condition["message"]
    assert web.ok("tag", "--unpin", "web:latest") == (
        "Tag web:latest unpinned.\n"
        f"Tag web:latest moved to the image that waited: quay.io/shop/web@{digest('c')}.\n")
    assert image(web) == digest("c") and not pinned(web)


def test_tag_pin_keeps_the_image_and_a_rollback_keeps_the_pin(web: Isctl):
    assert web.ok("tag", "--pin", "web:latest") == "Tag web:latest pinned.\n"
    assert image(web) == digest("b") and pinned(web)
    push(web, "c")
    assert image(web) == digest("b")
    web.ok("rollback", "web:latest")  # without --pin: a pinned tag stays pinned
    assert image(web) == digest("a") and pinned(web)
    assert "NewerImageWaiting" not in str(web.api("GET", TAG).get("conditions"))


def test_tagging_a_pinned_tag_moves_it_and_keeps_the_pin_unless_unpin(web: Isctl):
    web.ok("tag", "--pin", "web:latest")
    web.ok("tag", f"web@{digest('a')[:19]}", "web:latest")
    assert image(web) == digest("a") and pinned(web)
    web.ok("tag", "--unpin", f"web@{digest('b')[:19]}", "web:latest")
    assert image(web) == digest("b") and not pinned(web)
    web.ok("tag", "--pin", f"web@{digest('a')[:19]}", "web:stable")
    stable = web.api("GET", "/namespaces/default/imagestreamtags/web:stable")
    assert stable["metadata"]["annotations"] == {PINNED: "true"}


def test_pin_flags_are_checked(web: Isctl):
    result = web("tag", "--pin", "--unpin", "web:latest")
    assert result.code == 2 and "--pin and --unpin may not be both specified" in result.err
    result = web("tag", "-d", "--pin", "web:latest")
    assert result.code == 2 and "cannot pin or unpin a tag when deleting it" in result.err
    result = web("tag", "--pin", "web:nothing")
    assert result.code == 1 and "NotFound" in result.err
