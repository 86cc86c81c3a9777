"""Driving the console in the browser: its URL, waiting for what a page shows, signing in,
moving between pages, screenshots, and the CSP violations a page reported."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from testbed.local_stack import RunningStack
from tests.console.conftest import SCREENSHOTS

WAIT_SECONDS = 10


def console_url(stack: RunningStack, fragment: str = "") -> str:
    return f"{stack.endpoint['api']}/console" + (f"#{fragment}" if fragment else "")


def until(driver: Any, condition: Callable[[], Any], what: str,
          timeout: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = condition()
        except Exception:  # the element is not there yet, or was just replaced
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            shot(driver, "failed")
            pytest.fail(f"{what} within {timeout:.0f}s; the page says:\n"
                        f"{driver.find_element('tag name', 'body').text}")
        time.sleep(0.05)


def text_of(driver: Any, css: str) -> str:
    return driver.find_element("css selector", css).text


def shot(driver: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def fresh(driver: Any, stack: RunningStack, fragment: str = "") -> None:
    """The console in a tab that holds no token."""
    driver.get(console_url(stack))
    driver.execute_script("sessionStorage.clear()")
    driver.get("about:blank")
    driver.get(console_url(stack, fragment))


def sign_in(driver: Any, stack: RunningStack, token: str, fragment: str = "") -> None:
    fresh(driver, stack, fragment)
    until(driver, lambda: driver.find_element("id", "token"), "the sign-in form")
    driver.find_element("id", "token").send_keys(token)
    driver.find_element("css selector", "#signin button[type=submit]").click()
    until(driver, lambda: "Signed in as" in text_of(driver, "#who"), "signed in")


def go(driver: Any, fragment: str) -> None:
    driver.execute_script("location.hash = arguments[0]", fragment)


def csp_violations(driver: Any) -> list[Any]:
    seen = driver.execute_script("return window.__violations || []")
    console = [entry for entry in driver.get_log("browser")
               if "Content Security Policy" in entry["message"]
               or "Trusted Type" in entry["message"]]
    return seen + console
