"""One local stack (`make run`) and one headless Chromium for the console's browser tests.

The stack is started once for the package (it takes a few seconds); each test module seeds
what it needs (test_console_browser.py in `default`, the others in namespaces of their own,
so that no module depends on another's). Chromium is Debian's, driven by Selenium through
Debian's chromedriver (scripts/setup-system installs both); without them the browser tests
are skipped, saying so.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testbed.local_stack import ROOT, RunningStack, wait_for
from testbed.registry import free_port, require_tools

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# Where the tests write their screenshots; docs/console/ keeps the best of them.
SCREENSHOTS = Path(os.environ.get("CONSOLE_SCREENSHOTS", ROOT / "build" / "console-screenshots"))


def require_browser() -> None:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("the console's browser tests need Debian's chromium and chromium-driver "
                    "(scripts/setup-system installs them)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("the console's browser tests need selenium (requirements-dev.txt)")


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """`python -m local.stack` on free ports, as testbed/local_stack.py starts it,
    once for the package."""
    require_browser()
    require_tools()
    state = tmp_path_factory.mktemp("console-stack")
    env = {**os.environ, "API_PORT": str(free_port()), "API_TLS_PORT": str(free_port()),
           "AWS_PORT": str(free_port()), "REGISTRY_PORT": str(free_port()),
           "LOCAL_STATE_DIR": str(state / "state"), "SCHEDULE_SECONDS": "600",
           "SNAPSHOT_SECONDS": "600",
           # A registry the imports may reach that refuses every connection: nothing listens
           # on that port (the stack's own registry is allowed anyway).
           "IMPORT_ALLOW_LIST": f"127.0.0.1:{free_port()}"}
    output = state / "stack.log"
    with open(output, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "local.stack"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    running = RunningStack(process, output, env, {})
    try:
        endpoint = state / "state" / "endpoint.json"
        wait_for(lambda: endpoint.exists() and "running" in running.log(), "the stack started",
                 running, timeout=120)
        running.endpoint = json.loads(endpoint.read_text())
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(0)
    # Every Content-Security-Policy violation of every page, seen from the page itself.
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', (e) => window.__violations.push("
        "{directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample}));")})
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browsing(browser: Any) -> Iterator[Any]:
    """The browser at its usual size; after the test, the pages it saw broke no part of the
    CSP."""
    from tests.console.pages import csp_violations

    browser.get_log("browser")  # what earlier tests left
    yield browser
    assert csp_violations(browser) == []
