"""The console in a narrow window, at 200% zoom and in between, in the real headless
Chromium: no page scrolls sideways; a table's rows become blocks in a narrow window, and a
table too wide for a wider one scrolls inside its own box (which the keyboard can then
reach); every action is in the tab order, visible when focused, with a visible focus ring,
down to the confirmation it opens.

200% zoom is what a person with low vision sets: the browser then lays the page out in half
as many CSS pixels, each drawn with two device pixels. So the zoomed window here is half the
usual width (640 of 1280 CSS pixels) with a device scale factor of 2, as the browser's own
zoom would make it; `document.body.style.zoom` would only scale the drawing.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from testbed.local_stack import RunningStack
from tests.console.pages import fresh, go, shot, sign_in, text_of, until

NS = "layout"
STREAM = "payments-gateway-frontend"
V1 = "/apis/image.openshift.io/v1"
OLD, NEW = ("sha256:" + c * 64 for c in "56")
LAYOUTS = {  # name: (window width in CSS pixels, device scale factor)
    "narrow": (400, 1),
    "zoom-200": (640, 2),  # a 1280-pixel window at 200%
    "medium": (720, 1),  # just wide enough for tables as tables
}
STACKED = 640  # up to this width (40rem) a table's rows are blocks (console.css)
HEIGHT = 900

# Where the page (outside a box that scrolls by itself) is wider than the window, and how
# each table sits in its box.
LAYOUT_SCRIPT = """
const root = document.documentElement, width = root.clientWidth;
const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
  + (typeof el.className === "string" && el.className ? "." + el.className.replace(/ /g, ".") : "")
  + " " + JSON.stringify((el.textContent || "").trim().slice(0, 40));
const outside = [];
for (const el of document.body.querySelectorAll("*")) {
  const box = el.closest(".table-wrap");
  if (box && box !== el) continue;  // it scrolls inside its own box
  if (el.closest("dialog:not([open])")) continue;
  const r = el.getBoundingClientRect();
  if (!r.width && !r.height) continue;
  if (r.right > width + 1 || r.left < -1) {
    outside.push(`${describe(el)} ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
}
const tables = [...document.querySelectorAll("main table")].map((table) => {
  const box = table.parentElement, style = getComputedStyle(box), r = box.getBoundingClientRect();
  return {id: table.id, boxed: box.classList.contains("table-wrap"), overflowX: style.overflowX,
    scrolls: box.scrollWidth > box.clientWidth + 1, focusable: box.tabIndex >= 0,
    label: box.getAttribute("aria-label"), inside: r.left >= -1 && r.right <= width + 1};
});
return {scrollWidth: root.scrollWidth, clientWidth: width, innerWidth, ratio: devicePixelRatio,
  outside, tables};
"""

# The focused element: what it is called, whether it is in the window, and its focus ring.
FOCUS_SCRIPT = """
const el = document.activeElement;
if (!el || el === document.body || el === document.documentElement) return null;
const r = el.getBoundingClientRect(), style = getComputedStyle(el);
const width = document.documentElement.clientWidth;
const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
const name = el.getAttribute("aria-label") || label || el.textContent || el.id || "";
return {name: name.trim().replace(/\\s+/g, " ").slice(0, 80),
  tag: el.tagName.toLowerCase(),
  visible: r.width > 0 && r.height > 0 && r.left >= -1 && r.right <= width + 1
    && r.bottom > 0 && r.top < innerHeight,
  ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2};
"""


def _mapping(digest: str, version: str) -> dict[str, Any]:
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
            "metadata": {"name": STREAM}, "tag": "v1",
            "image": {"metadata": {"name": digest},
                      "dockerImageReference": f"registry.example.com/payments/{STREAM}@{digest}",
                      "dockerImageMetadata": {
                          "Architecture": "arm64", "Size": 123_400_000,
                          "Config": {"Entrypoint": ["/usr/local/bin/payments-gateway-frontend"],
                                     "Env": [f"GATEWAY_VERSION={version}",
                                             "JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=75.0 "
                                             "-XX:+UseContainerSupport -Dfile.encoding=UTF-8"],
                                     "Labels": {"org.opencontainers.image.source":
                                                "https://github.com/example/payments-gateway-"
                                                "frontend-with-a-long-name"}}},
                      "dockerImageLayers": [{"name": "sha256:" + "7" * 64, "size": 90_000_000,
                                             "mediaType": "application/vnd.oci.image.layer."
                                                          "v1.tar+gzip"}]}}


@pytest.fixture(scope="module")
def seeded(stack: RunningStack) -> None:
    """A stream with long names in `layout`: v1 moved once, latest tracking it, upstream
    importing from a refused address (a long condition message), labels."""
    http, api = stack.http, f"{stack.endpoint['api']}{V1}/namespaces/{NS}"
    made = http.post(f"{api}/imagestreams", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": STREAM, "labels": {
            "app.kubernetes.io/part-of": "payments-platform", "team": "payments"}}}, timeout=30)
    assert made.status_code == 201, made.text
    for digest, version in ((OLD, "2.7.0"), (NEW, "2.8.0")):
        mapped = http.post(f"{api}/imagestreammappings", json=_mapping(digest, version),
                           timeout=30)
        assert mapped.status_code == 201, mapped.text
    for tag, source in (("latest", {"kind": "ImageStreamTag", "name": f"{STREAM}:v1"}),
                        ("upstream", {"kind": "DockerImage",
                                      "name": "127.0.0.1:1/payments/gateway-frontend:2.8"})):
        put = http.put(f"{api}/imagestreamtags/{STREAM}:{tag}", json={
            "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
            "tag": {"from": source}}, timeout=60)
        assert put.status_code == 201, put.text


@pytest.fixture(params=sorted(LAYOUTS))
def sized(request: pytest.FixtureRequest, browsing: Any, seeded: None) -> Iterator[Any]:
    """The browser in a narrow window, or at 200% zoom; back to its usual size afterwards."""
    driver = browsing
    width, ratio = LAYOUTS[request.param]
    driver.set_window_size(width, HEIGHT)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 0, "height": 0, "deviceScaleFactor": ratio, "mobile": False})
    driver.layout = request.param
    try:
        yield driver
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.set_window_size(1280, 1000)


def check_layout(driver: Any, page: str) -> dict[str, Any]:
    """The page fits the window; each table fits, its rows stacked in a narrow window, or
    scrolls in its own box."""
    width, ratio = LAYOUTS[driver.layout]
    found = driver.execute_script(LAYOUT_SCRIPT)
    assert (found["innerWidth"], found["ratio"]) == (width, ratio), found  # the layout asked for
    assert found["scrollWidth"] <= found["clientWidth"], (page, found)  # no sideways scrolling
    assert found["outside"] == [], (page, found["outside"])
    for table in found["tables"]:
        assert table["boxed"] and table["inside"] and table["label"], (page, table)
        if width <= STACKED:
            assert not table["scrolls"], (page, table)  # its rows are blocks
        if table["scrolls"]:  # too wide for the window: it scrolls in its box, by keyboard too
            assert table["overflowX"] in ("auto", "scroll") and table["focusable"], (page, table)
        else:
            assert not table["focusable"], (page, table)  # no tab stop that does nothing
    return found


def tab_through(driver: Any, limit: int = 120) -> list[dict[str, Any]]:
    """Every element the Tab key reaches, from the top of the page, as FOCUS_SCRIPT tells it."""
    driver.execute_script("window.scrollTo(0, 0); document.querySelector('.brand').focus()")
    reached = [driver.execute_script(FOCUS_SCRIPT)]
    for _ in range(limit):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        focused = driver.execute_script(FOCUS_SCRIPT)
        if focused is None or focused == reached[0]:
            break
        reached.append(focused)
    return reached


def check_keyboard(driver: Any, page: str, wanted: list[str]) -> list[dict[str, Any]]:
    """Each of `wanted` (names, or their beginnings) is reached by Tab, and every element
    reached is in the window when focused, with a focus ring."""
    reached = tab_through(driver)
    names = [focused["name"] for focused in reached]
    for name in wanted:
        assert [n for n in names if n.startswith(name)], (page, name, names)
    for focused in reached[1:]:  # the first was focused by script, the rest by the keyboard
        assert focused["visible"], (page, focused)
        assert focused["ring"], (page, focused)
    return reached


def focus_on(driver: Any, name: str) -> None:
    """Tab until the element called `name` (or beginning so) has the focus."""
    driver.execute_script("window.scrollTo(0, 0); document.querySelector('.brand').focus()")
    for _ in range(120):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        focused = driver.execute_script(FOCUS_SCRIPT)
        if focused and focused["name"].startswith(name):
            return
    pytest.fail(f"Tab never reached {name!r}")


def test_every_page_fits_the_window_and_its_actions_are_reachable_by_keyboard(
        sized: Any, stack: RunningStack) -> None:
    driver = sized
    fresh(driver, stack)
    until(driver, lambda: driver.find_element("id", "token"), "the sign-in form")
    check_layout(driver, "sign-in")
    check_keyboard(driver, "sign-in", ["Access token", "Sign in"])

    sign_in(driver, stack, stack.endpoint["token"])
    until(driver, lambda: driver.find_element("link text", NS), "the namespaces")
    check_layout(driver, "namespaces")
    check_keyboard(driver, "namespaces", ["Sign out", NS, "Namespace", "Open"])

    go(driver, f"#/ns/{NS}")
    until(driver, lambda: STREAM in text_of(driver, "#streams tbody"), "the streams table")
    check_layout(driver, "streams")
    check_keyboard(driver, "streams", ["Sign out", "Namespaces", "Filter by name",
                                       "Filter by labels", STREAM])

    go(driver, f"#/ns/{NS}/streams/{STREAM}")
    until(driver, lambda: "upstream" in text_of(driver, "#tags tbody"), "the stream's tags")
    until(driver, lambda: driver.find_elements("css selector", "#messages tbody tr"),
          "the stream's messages", timeout=20)
    check_layout(driver, "stream")
    check_keyboard(driver, "stream", ["Sign out", "latest", "upstream", "v1"])
    if driver.layout != "medium":  # each tag a block: its column's title beside each value
        cells = driver.execute_script(
            "return [...document.querySelectorAll('#tags tbody tr:first-child > *')].map((c) => "
            "[c.dataset.label, getComputedStyle(c).display, "
            "getComputedStyle(c, '::before').content !== 'none'])")
        assert [label for label, _, _ in cells] == [
            "Tag", "Image", "Created", "Size", "Architecture", "Source", "Schedule",
            "Reference policy", "Conditions"]
        assert all(display == "block" and shown for _, display, shown in cells), cells
    driver.execute_script("window.scrollTo(0, 0)")
    shot(driver, f"{driver.layout}-stream")

    go(driver, f"#/ns/{NS}/streams/{STREAM}/tags/v1")
    until(driver, lambda: len(driver.find_elements("css selector", "#history > li")) == 2,
          "the tag's history")
    # The image's metadata, opened from the keyboard: long values wrap in the window.
    focus_on(driver, "Image details")
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    until(driver, lambda: "JAVA_TOOL_OPTIONS" in text_of(driver, "#history"), "the image details")
    check_layout(driver, "tag")
    check_keyboard(driver, "tag", ["Sign out", STREAM, "Tag into…", "Track another tag…",
                                   "Delete tag", "Image details",
                                   f"Roll back {STREAM}:v1 to {OLD[:19]}"])
    driver.execute_script("window.scrollTo(0, 0)")
    shot(driver, f"{driver.layout}-tag-history")

    # A rollback from the keyboard: the confirmation fits the window, and Escape cancels it.
    focus_on(driver, f"Roll back {STREAM}:v1")
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    dialog = until(driver, lambda: driver.find_element("css selector", "dialog[open]"),
                   "the confirmation")
    assert f"Roll back {STREAM}:v1?" in dialog.text
    check_layout(driver, "confirmation")
    for button in ("confirm-cancel", "confirm-ok"):
        assert driver.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return r.left >= 0 && "
            "r.right <= document.documentElement.clientWidth && r.top >= 0 && "
            "r.bottom <= innerHeight", driver.find_element("id", button)), button
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    until(driver, lambda: not driver.find_elements("css selector", "dialog[open]")
          and driver.execute_script("return location.hash").endswith("/tags/v1"),
          "the confirmation cancelled")
    tag = stack.http.get(f"{stack.endpoint['api']}{V1}/namespaces/{NS}/imagestreamtags/"
                         f"{STREAM}:v1", timeout=30).json()
    assert tag["image"]["metadata"]["name"] == NEW  # nothing changed
