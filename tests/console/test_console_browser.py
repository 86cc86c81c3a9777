"""The console in a real headless Chromium against `make run`'s stack: signing in, browsing
to a stream made by mappings and one pushed with skopeo, a tag's history and image, a
rollback seen in the API, a viewer who is offered nothing to change, a bad token, live
updates, and a CSP that holds (no violation while browsing; an injected script is blocked).

Each test writes a screenshot of the page it ends on to build/console-screenshots/.
"""
from __future__ import annotations

import subprocess
import time
from typing import Any

import pytest
import requests

from testbed.local_stack import RunningStack, wait_for
from testbed.oci_layout import OciLayout
from tests.console.pages import console_url, fresh, go, shot, sign_in, text_of, until

NS = "default"
V1 = "/apis/image.openshift.io/v1"
OLD, NEW, NEWEST = ("sha256:" + c * 64 for c in "abc")


def _mapping(tag: str, digest: str, version: str) -> dict[str, Any]:
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
            "metadata": {"name": "web"}, "tag": tag,
            "image": {"metadata": {"name": digest},
                      "dockerImageReference": f"quay.io/shop/web@{digest}",
                      "dockerImageMetadata": {
                          "Architecture": "amd64", "Size": 48_300_000,
                          "Config": {"Entrypoint": ["/usr/bin/web"], "Cmd": ["--port", "8080"],
                                     "Env": [f"WEB_VERSION={version}", "PATH=/usr/bin"],
                                     "Labels": {"org.opencontainers.image.version": version},
                                     "WorkingDir": "/srv", "User": "1001"}},
                      "dockerImageLayers": [
                          {"name": "sha256:" + "d" * 64, "size": 30_000_000,
                           "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"},
                          {"name": "sha256:" + "e" * 64, "size": 18_300_000,
                           "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}]}}


@pytest.fixture(scope="module")
def seeded(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """web (labelled) with v1 moved twice by mappings, web:latest tracking it, app:v1 pushed by skopeo."""
    http, api = stack.http, stack.api
    created = http.post(f"{api}/imagestreams", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": "web", "labels": {"app": "web"}}}, timeout=30)
    assert created.status_code == 201, created.text
    for digest, version in ((OLD, "1.0"), (NEW, "1.1")):
        mapped = http.post(f"{api}/imagestreammappings", json=_mapping("v1", digest, version),
                           timeout=30)
        assert mapped.status_code == 201, mapped.text
    labelled = http.patch(f"{api}/imagestreams/web", data='{"metadata": {"labels": {"team": '
                          '"shop"}}}', headers={"Content-Type": "application/merge-patch+json"},
                          timeout=30)
    assert labelled.status_code == 200, labelled.text
    tracked = http.put(f"{api}/imagestreamtags/web:latest", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
        "tag": {"from": {"kind": "ImageStreamTag", "name": "web:v1"}}}, timeout=30)
    assert tracked.status_code == 201, tracked.text

    layout = OciLayout(tmp_path_factory.mktemp("layout"))
    layout.tag("v1", layout.image([{"app": b"console demo"}]))
    pushed = subprocess.run(
        ["skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false",
         f"--dest-creds=anything:{stack.endpoint['token']}", f"oci:{layout.path}:v1",
         f"docker://{stack.endpoint['registry']}/{NS}/app:v1"],
        capture_output=True, text=True, timeout=120)
    assert pushed.returncode == 0, pushed.stderr
    wait_for(lambda: http.get(f"{api}/imagestreamtags/app:v1", timeout=30).status_code == 200,
             "the push tagged app:v1", stack)
    return {"admin": stack.endpoint["token"], "viewer": stack.user_with_role("vera", "view", NS)}


@pytest.fixture
def browsing(browsing: Any, seeded: dict[str, str]) -> Any:
    """The browser (conftest.py's), once `default` is seeded."""
    return browsing


# -- the tests

def test_sign_in_and_browse_to_a_stream_its_history_and_an_image(browsing, stack):
    driver = browsing
    sign_in(driver, stack, stack.endpoint["token"])
    # A cluster-admin sees every namespace that holds streams.
    until(driver, lambda: driver.find_element("link text", NS), "the namespace list").click()
    until(driver, lambda: "web" in text_of(driver, "#streams tbody"), "the streams table")
    rows = text_of(driver, "#streams tbody")
    assert "app" in rows and "latest" in rows and "v1" in rows and "app=web" in rows
    shot(driver, "streams")

    # Filtering by name and by label, as typed.
    name_filter = driver.find_element("id", "filter-name")
    name_filter.send_keys("we")
    until(driver, lambda: text_of(driver, "#stream-count").startswith("1 of 2"), "a name filter")
    name_filter.clear()
    name_filter.send_keys("x")  # clear() sends no input event; typing does
    name_filter.send_keys("\b")
    driver.find_element("id", "filter-labels").send_keys("team=shop")
    until(driver, lambda: text_of(driver, "#stream-count").startswith("1 of 2"), "a label filter")
    assert "web" in text_of(driver, "#streams tbody") and "app\n" not in text_of(driver, "#streams tbody")
    driver.find_element("id", "filter-labels").send_keys("x")
    until(driver, lambda: text_of(driver, "#stream-count").startswith("0 of 2"), "no match")

    go(driver, f"#/ns/{NS}/streams/web")
    until(driver, lambda: "v1" in text_of(driver, "#tags tbody"), "the stream's tags")
    tags = text_of(driver, "#tags tbody")
    assert NEW[:19] in tags  # sha256: and 12 hex digits
    assert "48.3 MB" in tags and "amd64" in tags and "tracks web:v1" in tags
    assert "No triggers" in text_of(driver, "#main")
    shot(driver, "stream")

    driver.find_element("link text", "v1").click()
    until(driver, lambda: len(driver.find_elements("css selector", "#history > li")) == 2,
          "the tag's history")
    history = driver.find_elements("css selector", "#history > li")
    assert NEW[:19] in history[0].text and "current" in history[0].text  # newest first
    assert OLD[:19] in history[1].text
    history[0].find_element("tag name", "summary").click()  # the image, one click away
    until(driver, lambda: "WEB_VERSION=1.1" in history[0].text, "the image's metadata")
    details = history[0].text
    assert '["/usr/bin/web"]' in details and '["--port","8080"]' in details
    assert "org.opencontainers.image.version=1.1" in details and "30.0 MB" in details
    shot(driver, "tag-history")
    # The token never travelled in a URL.
    urls = driver.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)")
    assert urls and not [url for url in urls if stack.endpoint["token"] in url]


def test_a_pushed_stream_shows_its_image(browsing, stack):
    driver = browsing
    sign_in(driver, stack, stack.endpoint["token"], f"/ns/{NS}/streams/app/tags/v1")
    until(driver, lambda: len(driver.find_elements("css selector", "#history > li")) == 1,
          "the pushed tag's history")
    item = driver.find_element("css selector", "#history > li")
    assert f"{stack.endpoint['registry']}/{NS}/app@sha256:" in item.text
    item.find_element("tag name", "summary").click()
    until(driver, lambda: "/entrypoint.sh" in item.text, "the pushed image's config")
    assert "APP_MODE=test" in item.text and "org.example.name=demo" in item.text


def test_roll_back_a_tag_and_see_the_api_history_change(browsing, stack):
    driver = browsing
    sign_in(driver, stack, stack.endpoint["token"], f"/ns/{NS}/streams/web/tags/v1")
    button = until(driver, lambda: driver.find_element(
        "css selector", "#history > li:nth-child(2) button"), "a rollback button")
    assert button.text == "Roll back to this image"
    button.click()
    dialog = until(driver, lambda: driver.find_element("css selector", "dialog[open]"),
                   "the confirmation")
    says = dialog.text
    assert "Roll back web:v1?" in says
    assert f"from {NEW[:19]}" in says and f"to {OLD[:19]}" in says
    shot(driver, "rollback-confirmation")
    driver.find_element("id", "confirm-ok").click()
    until(driver, lambda: "now points at" in text_of(driver, "#notice"), "the rollback's notice")

    tag = stack.http.get(f"{stack.api}/imagestreamtags/web:v1", timeout=30).json()
    assert tag["image"]["metadata"]["name"] == OLD
    stream = stack.http.get(f"{stack.api}/imagestreams/web", timeout=30).json()
    items = next(t for t in stream["status"]["tags"] if t["tag"] == "v1")["items"]
    assert [item["image"] for item in items] == [OLD, NEW, OLD]
    until(driver, lambda: len(driver.find_elements("css selector", "#history > li")) == 3,
          "the page's history after the rollback")


def test_cancelling_a_confirmation_changes_nothing(browsing, stack):
    driver = browsing
    sign_in(driver, stack, stack.endpoint["token"], f"/ns/{NS}/streams/web/tags/latest/delete")
    dialog = until(driver, lambda: driver.find_element("css selector", "dialog[open]"),
                   "the confirmation")
    assert "Delete tag web:latest" in dialog.text
    driver.find_element("id", "confirm-cancel").click()
    until(driver, lambda: driver.execute_script("return location.hash")
          == f"#/ns/{NS}/streams/web/tags/latest", "back on the tag")
    assert stack.http.get(f"{stack.api}/imagestreamtags/web:latest",
                          timeout=30).status_code == 200


def test_a_viewer_is_offered_no_action_and_told_why_an_action_url_fails(browsing, stack, seeded):
    driver = browsing
    sign_in(driver, stack, seeded["viewer"], f"/ns/{NS}/streams/web/tags/v1")
    until(driver, lambda: driver.find_element("id", "no-actions"), "the tag page")
    assert driver.find_elements("id", "actions") == []
    assert driver.find_elements("css selector", "#history button") == []
    # A viewer lists no namespace (cluster roles only) but opens theirs by name.
    go(driver, "#/")
    until(driver, lambda: "open a namespace by its name" in text_of(driver, "#main"),
          "the namespace page's hint")

    go(driver, f"#/ns/{NS}/streams/web/tags/v1/delete")
    message = until(driver, lambda: driver.find_element("css selector", "#main .forbidden"),
                    "the refusal")
    assert "You may not delete web:v1." in message.text
    assert f"namespace {NS} do not allow delete on imagestreamtags" in message.text
    assert driver.find_elements("css selector", "dialog[open]") == []
    shot(driver, "viewer-refused")
    assert stack.http.get(f"{stack.api}/imagestreamtags/web:v1", timeout=30).status_code == 200

    # A namespace they have no role in: the API's 403, shown as what they may not do.
    go(driver, "#/ns/elsewhere")
    until(driver, lambda: "You may not list image streams in namespace elsewhere." in text_of(
        driver, "#main .forbidden"), "the API's refusal")


def test_a_bad_token_is_refused_and_a_revoked_one_returns_to_sign_in(browsing, stack):
    driver = browsing
    fresh(driver, stack, f"/ns/{NS}/streams/web")
    # Nothing but the sign-in form without a token, whatever the URL asks for.
    until(driver, lambda: driver.find_element("id", "token"), "the sign-in form")
    assert "web" not in text_of(driver, "#main")
    driver.find_element("id", "token").send_keys("isk_not-a-token")
    driver.find_element("css selector", "#signin button[type=submit]").click()
    until(driver, lambda: "That token was not accepted" in text_of(driver, "#signin-error"),
          "the refusal")
    assert driver.execute_script("return sessionStorage.length") == 0
    shot(driver, "bad-token")

    # A token that stops working while signed in: the next answer, 401, ends the session.
    sign_in(driver, stack, stack.endpoint["token"], f"/ns/{NS}")
    until(driver, lambda: driver.find_element("id", "streams"), "the streams")
    driver.execute_script("sessionStorage.setItem('imagestreams.console.token', 'isk_revoked')")
    go(driver, f"#/ns/{NS}/streams/web")
    until(driver, lambda: "Sign in again" in text_of(driver, "#signin-error"), "sign-in again")
    assert driver.execute_script("return sessionStorage.length") == 0


def test_sign_out_forgets_the_token(browsing, stack):
    driver = browsing
    sign_in(driver, stack, stack.endpoint["token"], f"/ns/{NS}")
    driver.find_element("id", "sign-out").click()
    until(driver, lambda: driver.find_element("id", "token"), "the sign-in form")
    assert driver.execute_script("return sessionStorage.length") == 0
    go(driver, f"#/ns/{NS}/streams/web")
    until(driver, lambda: driver.find_element("id", "token"), "still the sign-in form")


def test_the_open_page_follows_a_tag_that_moves_and_keeps_the_users_place(browsing, stack):
    driver = browsing
    sign_in(driver, stack, stack.endpoint["token"], f"/ns/{NS}/streams/web/tags/v1")
    until(driver, lambda: driver.find_elements("css selector", "#history > li"), "the history")
    before = len(driver.find_elements("css selector", "#history > li"))
    first = driver.find_element("css selector", "#history > li summary")
    first.click()  # open the current image's details: still open after the refresh
    driver.execute_script("window.__samePage = true")
    time.sleep(0.5)  # the page's watch is under way
    moved = stack.http.post(f"{stack.api}/imagestreammappings",
                            json=_mapping("v1", NEWEST, "1.2"), timeout=30)
    assert moved.status_code == 201, moved.text
    until(driver, lambda: len(driver.find_elements("css selector", "#history > li")) == before + 1,
          "the new image on the open page")
    assert driver.execute_script("return window.__samePage") is True  # no reload
    assert NEWEST[:19] in driver.find_element("css selector", "#history > li").text


def test_the_csp_blocks_inline_script(browsing, stack):
    driver = browsing
    answer = requests.get(console_url(stack), timeout=30)
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    fresh(driver, stack)
    until(driver, lambda: driver.find_element("id", "token"), "the sign-in form")
    driver.execute_script(
        "const script = document.createElement('script');"
        "script.append(document.createTextNode('window.__inlineRan = true'));"
        "document.body.append(script);")
    violations = until(driver, lambda: driver.execute_script("return window.__violations"),
                       "a violation report")
    assert driver.execute_script("return window.__inlineRan") is None
    assert {v["directive"] for v in violations} <= {
        "require-trusted-types-for", "script-src-elem", "script-src"}
    driver.execute_script("window.__violations = []")
    driver.get_log("browser")  # the probe's own report is expected; nothing else may be
