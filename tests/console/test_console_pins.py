"""Pinned tags in the console, in the browser against `make run`'s stack: the "pinned" badge
on the stream's and the tag's page, the NewerImageWaiting condition's message, and a
rollback that keeps the tag's spec annotations, pinned or not as its confirmation's box says
(checked when the tag is pinned already).

The streams live in a namespace of their own, `pins`, so that nothing here depends on what
other modules do.
"""
from __future__ import annotations

from typing import Any

import pytest

from testbed.local_stack import RunningStack
from tests.console.pages import go, shot, sign_in, text_of, until

NS = "pins"
V1 = "/apis/image.openshift.io/v1"
PINNED = "imagestreams.dev/pinned"
FIRST, SECOND, THIRD, WAITING = ("sha256:" + c * 64 for c in "5678")


def namespaced(stack: RunningStack) -> str:
    return f"{stack.endpoint['api']}{V1}/namespaces/{NS}"


def map_image(stack: RunningStack, tag: str, digest: str) -> None:
    mapped = stack.http.post(f"{namespaced(stack)}/imagestreammappings", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
        "metadata": {"name": "app"}, "tag": tag,
        "image": {"metadata": {"name": digest},
                  "dockerImageReference": f"quay.io/{NS}/app@{digest}"}}, timeout=30)
    assert mapped.status_code == 201, mapped.text


def annotate(stack: RunningStack, tag: str, annotations: dict[str, str | None]) -> None:
    """A merge patch of the istag's annotations, its spec tag's (as `isctl tag --pin`)."""
    patched = stack.http.patch(
        f"{namespaced(stack)}/imagestreamtags/app:{tag}",
        json={"metadata": {"annotations": annotations}},
        headers={"Content-Type": "application/merge-patch+json"}, timeout=30)
    assert patched.status_code == 200, patched.text


def spec_tag(stack: RunningStack, tag: str) -> dict[str, Any]:
    stream = stack.http.get(f"{namespaced(stack)}/imagestreams/app", timeout=30).json()
    return next(t for t in stream["spec"]["tags"] if t["name"] == tag)


def image_of(stack: RunningStack, tag: str) -> str:
    istag = stack.http.get(f"{namespaced(stack)}/imagestreamtags/app:{tag}", timeout=30)
    assert istag.status_code == 200, istag.text
    return istag.json()["image"]["metadata"]["name"]


@pytest.fixture(scope="module")
def seeded(stack: RunningStack) -> dict[str, str]:
    """pins/app with tags keep, unpin and pin, each moved FIRST -> SECOND -> THIRD by
    mappings; keep and unpin are pinned (keep with another annotation too), and a newer image
    waits on keep."""
    made = stack.http.post(f"{namespaced(stack)}/imagestreams", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": "app"}}, timeout=30)
    assert made.status_code == 201, made.text
    for tag in ("keep", "unpin", "pin"):
        for digest in (FIRST, SECOND, THIRD):
            map_image(stack, tag, digest)
    annotate(stack, "keep", {PINNED: "true", "example.com/owner": "shop"})
    annotate(stack, "unpin", {PINNED: "true"})
    map_image(stack, "keep", WAITING)  # held: the pinned tag stays on THIRD
    assert image_of(stack, "keep") == THIRD
    return {"admin": stack.endpoint["token"]}


def roll_back(driver: Any, tag: str, digest: str) -> Any:
    """Opens the confirmation of a rollback of app:tag to `digest`; returns the dialog."""
    go(driver, f"#/ns/{NS}/streams/app/tags/{tag}")
    button = until(driver, lambda: driver.find_element(
        "css selector", f"#history button[aria-label='Roll back app:{tag} to {digest[:19]}']"),
        "the rollback button")
    button.click()
    return until(driver, lambda: driver.find_element("css selector", "dialog[open]"),
                 "the confirmation")


def test_the_badge_and_the_waiting_image_show(browsing: Any, stack: RunningStack,
                                              seeded: dict[str, str]) -> None:
    driver = browsing
    sign_in(driver, stack, seeded["admin"], f"/ns/{NS}/streams/app")
    until(driver, lambda: len(driver.find_elements("css selector", "#tags tbody tr")) == 3,
          "the stream's tags")
    rows = {r.find_element("tag name", "a").text: r
            for r in driver.find_elements("css selector", "#tags tbody tr")}
    for tag in ("keep", "unpin"):
        badge = rows[tag].find_element("css selector", "th .badge.pinned")
        assert badge.text == "pinned" and badge.get_attribute("title").startswith("Pinned:")
    assert rows["pin"].find_elements("css selector", ".badge.pinned") == []
    waiting = rows["keep"].text
    assert "NewerImageWaiting: True" in waiting and "Pinned" in waiting
    assert f"newer image {WAITING}" in waiting and "is waiting" in waiting
    assert "NewerImageWaiting" not in rows["unpin"].text
    shot(driver, "pinned-stream")

    go(driver, f"#/ns/{NS}/streams/app/tags/keep")
    until(driver, lambda: text_of(driver, "h1 .badge.pinned") == "pinned", "the tag's badge")
    assert text_of(driver, "h1").startswith("Tag app:keep")
    assert f"newer image {WAITING}" in text_of(driver, "#main dl.facts")
    assert "warn" in driver.find_element(
        "css selector", "#main dl.facts .badge:not(.pinned)").get_attribute("class").split()
    go(driver, f"#/ns/{NS}/streams/app/tags/pin")
    until(driver, lambda: text_of(driver, "h1") == "Tag app:pin", "an unpinned tag's page")
    assert driver.find_elements("css selector", ".badge.pinned") == []


def test_rolling_back_a_pinned_tag_keeps_it_pinned(browsing: Any, stack: RunningStack,
                                                   seeded: dict[str, str]) -> None:
    driver = browsing
    sign_in(driver, stack, seeded["admin"], f"/ns/{NS}/streams/app/tags/keep")
    dialog = roll_back(driver, "keep", FIRST)
    box = driver.find_element("id", "confirm-pin")
    assert box.is_selected()  # checked: the tag is pinned
    says = dialog.text
    assert "Pin the tag to this image" in says
    assert f"to {FIRST[:19]}" in says and f"from {THIRD[:19]}" in says
    assert f"app:keep stays pinned: imports, pushes and tracking leave it on {FIRST[:19]}." in says
    assert "The newer image waiting on app:keep is set aside" in says
    shot(driver, "pinned-rollback-confirmation")
    driver.find_element("id", "confirm-ok").click()
    until(driver, lambda: "and is pinned" in text_of(driver, "#notice"), "the rollback's notice")

    assert image_of(stack, "keep") == FIRST
    spec = spec_tag(stack, "keep")
    assert spec["from"] == {"kind": "ImageStreamImage", "name": f"app@{FIRST}"}
    # Every annotation kept, the pin among them.
    assert spec["annotations"] == {PINNED: "true", "example.com/owner": "shop"}
    # Still pinned: a push waits.
    map_image(stack, "keep", SECOND)
    assert image_of(stack, "keep") == FIRST
    until(driver, lambda: text_of(driver, "h1 .badge.pinned") == "pinned", "the badge, still")


def test_rolling_back_with_the_box_unchecked_unpins(browsing: Any, stack: RunningStack,
                                                     seeded: dict[str, str]) -> None:
    driver = browsing
    sign_in(driver, stack, seeded["admin"], f"/ns/{NS}/streams/app/tags/unpin")
    dialog = roll_back(driver, "unpin", SECOND)
    box = driver.find_element("id", "confirm-pin")
    assert box.is_selected()
    box.click()
    until(driver, lambda: "app:unpin is unpinned: the next push or import moves it again."
          in dialog.text, "the confirmation's text after unchecking")
    assert "stays pinned" not in dialog.text
    driver.find_element("id", "confirm-ok").click()
    until(driver, lambda: "and is no longer pinned" in text_of(driver, "#notice"),
          "the rollback's notice")

    assert image_of(stack, "unpin") == SECOND
    assert PINNED not in (spec_tag(stack, "unpin").get("annotations") or {})
    until(driver, lambda: text_of(driver, "h1") == "Tag app:unpin", "the page without a badge")
    map_image(stack, "unpin", FIRST)  # unpinned: a push moves it
    assert image_of(stack, "unpin") == FIRST


def test_rolling_back_an_unpinned_tag_can_pin_it(browsing: Any, stack: RunningStack,
                                                 seeded: dict[str, str]) -> None:
    driver = browsing
    sign_in(driver, stack, seeded["admin"], f"/ns/{NS}/streams/app/tags/pin")
    dialog = roll_back(driver, "pin", FIRST)
    box = driver.find_element("id", "confirm-pin")
    assert not box.is_selected()  # unchecked: the tag is not pinned
    assert "app:pin stays unpinned" in dialog.text
    driver.find_element("css selector", "label[for=confirm-pin]").click()  # the label works too
    until(driver, lambda: "app:pin becomes pinned" in dialog.text, "the text after checking")
    driver.find_element("id", "confirm-ok").click()
    until(driver, lambda: "and is pinned" in text_of(driver, "#notice"), "the rollback's notice")
    assert image_of(stack, "pin") == FIRST
    assert spec_tag(stack, "pin")["annotations"] == {PINNED: "true"}
    until(driver, lambda: text_of(driver, "h1 .badge.pinned") == "pinned", "the new badge")
