"""A stream's page beyond its tags, in the browser against `make run`'s stack: the last
tag-change messages the local demo queue received (kept by local/worker.py, served by
local/app_server.py behind the stream's own access check), and a tag whose import fails,
marked on the namespace's list and explained on the stream's page.

The streams live in namespaces of their own, so that nothing here depends on what other
modules do in `default`.
"""
from __future__ import annotations

from typing import Any

import pytest
import requests

from testbed.local_stack import RunningStack
from tests.console.pages import console_url, go, shot, sign_in, text_of, until

NS = "shop"
V1 = "/apis/image.openshift.io/v1"
FIRST, SECOND, THIRD, OTHER = ("sha256:" + c * 64 for c in "1234")
MESSAGE_SECONDS = 20  # table stream -> pump -> SNS -> demo queue -> worker, polled by the page


def namespaced(stack: RunningStack, namespace: str) -> str:
    return f"{stack.endpoint['api']}{V1}/namespaces/{namespace}"


def create_stream(stack: RunningStack, namespace: str, name: str) -> None:
    made = stack.http.post(f"{namespaced(stack, namespace)}/imagestreams", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": name}}, timeout=30)
    assert made.status_code == 201, made.text


def map_image(stack: RunningStack, namespace: str, stream: str, tag: str, digest: str) -> None:
    """An ImageStreamMapping, as a push makes one (RunningStack.map_image, in `namespace`)."""
    mapped = stack.http.post(f"{namespaced(stack, namespace)}/imagestreammappings", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
        "metadata": {"name": stream}, "tag": tag,
        "image": {"metadata": {"name": digest},
                  "dockerImageReference": f"quay.io/{namespace}/{stream}@{digest}"}}, timeout=30)
    assert mapped.status_code == 201, mapped.text


def messages_url(stack: RunningStack, namespace: str, stream: str) -> str:
    return (f"{stack.endpoint['api']}/local/demo-queue/namespaces/{namespace}/imagestreams/"
            f"{stream}/messages")


@pytest.fixture(scope="module")
def tokens(stack: RunningStack) -> dict[str, str]:
    """shop/api moved twice (v1) and once (v2), shop/worker and elsewhere/api once each, and
    three users: a viewer of shop, a viewer of elsewhere only, an editor of shop."""
    for namespace, stream in ((NS, "api"), (NS, "worker"), ("elsewhere", "api")):
        create_stream(stack, namespace, stream)
    map_image(stack, NS, "api", "v1", FIRST)
    map_image(stack, NS, "api", "v1", SECOND)
    map_image(stack, NS, "api", "v2", FIRST)
    map_image(stack, NS, "worker", "v1", OTHER)
    map_image(stack, "elsewhere", "api", "v1", OTHER)
    return {"viewer": stack.user_with_role("sam", "view", NS),
            "outsider": stack.user_with_role("olga", "view", "elsewhere"),
            "editor": stack.user_with_role("eddie", "edit", NS)}


def message_rows(driver: Any) -> list[str]:
    return [row.text for row in driver.find_elements("css selector", "#messages tbody tr")]


def test_the_stream_page_shows_its_last_tag_change_messages_newest_first(
        browsing: Any, stack: RunningStack, tokens: dict[str, str]) -> None:
    driver = browsing
    sign_in(driver, stack, tokens["viewer"], f"/ns/{NS}/streams/api")
    until(driver, lambda: len(message_rows(driver)) == 3, "the stream's three messages",
          timeout=MESSAGE_SECONDS)
    heading = text_of(driver, "#tag-messages h2")
    assert heading == "Last tag-change messages"
    newest, middle, oldest = message_rows(driver)
    # Newest first: v2 created, v1 moved from the first image to the second, v1 created.
    assert "Created" in newest and "v2" in newest and FIRST[:19] in newest
    assert "Updated" in middle and "v1" in middle
    assert middle.index(FIRST[:19]) < middle.index(SECOND[:19])  # from, then to
    assert "Created" in oldest and "v1" in oldest and FIRST[:19] in oldest
    # Only this stream's: not shop/worker's, not elsewhere/api's.
    assert OTHER[:19] not in text_of(driver, "#tag-messages")
    # Each time is relative, with the exact time on hover.
    time_element = driver.find_element("css selector", "#messages tbody tr time")
    assert time_element.get_attribute("title") and time_element.get_attribute("datetime")
    assert driver.find_elements("css selector", "#main .forbidden") == []

    # A tag that moves while the page is open: its message comes, the page is not reloaded.
    driver.execute_script("window.__samePage = true")
    map_image(stack, NS, "api", "v1", THIRD)
    until(driver, lambda: len(message_rows(driver)) == 4, "the new message on the open page",
          timeout=MESSAGE_SECONDS)
    newest = message_rows(driver)[0]
    assert "Updated" in newest and newest.index(SECOND[:19]) < newest.index(THIRD[:19])
    assert driver.execute_script("return window.__samePage") is True
    driver.find_element("id", "tag-messages").location_once_scrolled_into_view  # noqa: B018
    shot(driver, "stream-messages")


def test_the_messages_are_served_behind_the_streams_own_access_check(
        stack: RunningStack, tokens: dict[str, str]) -> None:
    url = messages_url(stack, NS, "api")
    assert requests.get(url, timeout=30).status_code == 401  # no token
    refused = requests.get(url, headers={"Authorization": "Bearer isk_not-a-token"}, timeout=30)
    assert refused.status_code == 401 and refused.json()["kind"] == "Status"
    # A user with view in another namespace only: the same 403 the stream itself gets.
    outsider = {"Authorization": f"Bearer {tokens['outsider']}"}
    refused = requests.get(url, headers=outsider, timeout=30)
    stream = requests.get(f"{namespaced(stack, NS)}/imagestreams/api", headers=outsider,
                          timeout=30)
    assert refused.status_code == stream.status_code == 403
    assert refused.json()["message"] == stream.json()["message"]
    assert "items" not in refused.text and FIRST not in refused.text
    # Their own namespace's stream of the same name: only its message.
    theirs = requests.get(messages_url(stack, "elsewhere", "api"), headers=outsider,
                          timeout=30)
    assert theirs.status_code == 200, theirs.text
    assert [(m["namespace"], m["imageStream"], m["image"]) for m in theirs.json()["items"]] \
        == [("elsewhere", "api", OTHER)]
    # A stream that is not there: the API's 404 about it.
    missing = requests.get(messages_url(stack, NS, "nothing"), headers=outsider, timeout=30)
    assert missing.status_code == 403  # no view in shop: not even whether it exists
    viewer = {"Authorization": f"Bearer {tokens['viewer']}"}
    missing = requests.get(messages_url(stack, NS, "nothing"), headers=viewer, timeout=30)
    assert missing.status_code == 404 and missing.json()["details"]["name"] == "nothing"
    # Only GET: nothing here changes anything.
    assert requests.delete(url, headers=viewer, timeout=30).status_code == 404


def test_a_user_without_view_in_the_namespace_sees_no_message(
        browsing: Any, stack: RunningStack, tokens: dict[str, str]) -> None:
    driver = browsing
    sign_in(driver, stack, tokens["outsider"], f"/ns/{NS}/streams/api")
    until(driver, lambda: "You may not read image stream api in namespace shop." in text_of(
        driver, "#main .forbidden"), "the refusal")
    assert driver.find_elements("id", "tag-messages") == []
    assert FIRST[:19] not in text_of(driver, "body")


def test_without_the_demo_queue_the_page_shows_no_messages_and_no_error(
        browsing: Any, stack: RunningStack, tokens: dict[str, str]) -> None:
    """A deployment has no such path (the API's catch-all answers it 404: see
    test_console_routes.py); here the browser is kept from reaching it at all."""
    driver = browsing
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/local/demo-queue/*"]})
    try:
        sign_in(driver, stack, tokens["viewer"], f"/ns/{NS}/streams/api")
        until(driver, lambda: "No triggers" in text_of(driver, "#main"), "the stream page")
        until(driver, lambda: "v2" in text_of(driver, "#tags tbody"), "the stream's tags")
        assert driver.find_elements("id", "tag-messages") == []
        assert driver.find_elements("css selector", "#main .forbidden") == []
        assert text_of(driver, "#notice") == ""
        assert text_of(driver, "#main").endswith("No triggers: nothing is told when a tag moves.")
    finally:
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
        driver.execute_cdp_cmd("Network.disable", {})
    driver.get_log("browser")  # the blocked request's own line


# -- a tag whose import fails

@pytest.fixture(scope="module")
def failing(stack: RunningStack) -> dict[str, str]:
    """shop/mirror: `good` mapped, `refused` importing from a loopback address the allow-list
    leaves out, `down` from an allowed registry that refuses connections."""
    closed = stack.env["IMPORT_ALLOW_LIST"]
    sources = {"refused": "127.0.0.1:1/upstream/app:1.0", "down": f"{closed}/upstream/app:1.0"}
    create_stream(stack, NS, "mirror")
    map_image(stack, NS, "mirror", "good", FIRST)
    for tag, source in sources.items():
        put = stack.http.put(f"{namespaced(stack, NS)}/imagestreamtags/mirror:{tag}", json={
            "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
            "tag": {"from": {"kind": "DockerImage", "name": source},
                    "importPolicy": {"insecure": True}}}, timeout=60)
        assert put.status_code == 201, put.text
    stream = stack.http.get(f"{namespaced(stack, NS)}/imagestreams/mirror", timeout=30).json()
    messages = {}
    for status in stream["status"]["tags"]:
        for condition in status.get("conditions", []):
            if condition["type"] == "ImportSuccess" and condition["status"] == "False":
                messages[status["tag"]] = condition["message"]
    assert set(messages) == {"refused", "down"}, stream["status"]
    return messages


def test_a_failing_import_is_marked_on_the_list_and_explained_on_the_stream(
        browsing: Any, stack: RunningStack, failing: dict[str, str]) -> None:
    driver = browsing
    sign_in(driver, stack, stack.endpoint["token"], f"/ns/{NS}")
    row = until(driver, lambda: next(r for r in driver.find_elements(
        "css selector", "#streams tbody tr") if r.find_element("tag name", "th").text == "mirror"),
        "mirror on the namespace's list")
    badges = {badge.text: badge for badge in row.find_elements("css selector", ".badge")}
    assert set(badges) == {"good", "refused — import failing", "down — import failing"}
    for tag, message in failing.items():
        badge = badges[f"{tag} — import failing"]
        assert "bad" in badge.get_attribute("class").split()
        assert badge.get_attribute("title") == f"Import failing: {message}"
    assert "bad" not in badges["good"].get_attribute("class").split()
    # The other streams carry no such badge.
    others = [r for r in driver.find_elements("css selector", "#streams tbody tr")
              if r.find_element("tag name", "th").text != "mirror"]
    assert others and not [r for r in others if "import failing" in r.text]
    shot(driver, "failing-import-list")

    go(driver, f"#/ns/{NS}/streams/mirror")
    until(driver, lambda: len(driver.find_elements("css selector", "#tags tbody tr")) == 3,
          "mirror's tags")
    rows = {r.find_element("tag name", "th").text: r
            for r in driver.find_elements("css selector", "#tags tbody tr")}
    for tag, message in failing.items():
        assert "ImportSuccess: False" in rows[tag].text
        assert message in rows[tag].text, rows[tag].text
        assert "imports from" in rows[tag].text
    assert "loopback address not in the registry allow-list" in rows["refused"].text
    assert "ImportSuccess" not in rows["good"].text
    shot(driver, "failing-import-stream")

    # And on the tag's own page.
    go(driver, f"#/ns/{NS}/streams/mirror/tags/down")
    until(driver, lambda: failing["down"] in text_of(driver, "#main dl.facts"), "the tag's page")


def test_the_console_page_is_the_only_console_path_without_a_token(stack: RunningStack) -> None:
    assert requests.get(console_url(stack), timeout=30).status_code == 200
    assert requests.get(messages_url(stack, NS, "api"), timeout=30).status_code == 401
