"""The AWS emulator as its own process (moto server), for tests that need a real network
hop between the service and AWS: an in-process `mock_aws` never opens a connection."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LISTENING = re.compile(r"Running on http://127\.0\.0\.1:(\d+)")
START_SECONDS = 30


@contextmanager
def moto_server(log: Path) -> Iterator[str]:
    """Start moto server on a port the kernel picks; yield its URL; stop it after.

    Its output goes to `log` (a pipe nobody reads would fill and stall it); the port is
    read from the line werkzeug prints once it listens.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
            stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        yield f"http://127.0.0.1:{_wait_for_port(process, log)}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(process: subprocess.Popen, log: Path) -> int:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        found = LISTENING.search(log.read_text(errors="replace"))
        if found:
            return int(found.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"moto server did not start: {log.read_text(errors='replace')[-2000:]}")
