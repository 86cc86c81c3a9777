"""The README walkthrough, command by command, against the app in process."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from .conftest import ns_path

README = Path(__file__).resolve().parents[2] / "README.md"
API_PREFIX = "http://127.0.0.1:8000"
IMAGE = "sha256:49c18358df82f4577386404991c51a9559f243e0b1bdc366df25"


def readme_curls() -> list[tuple[str, str, str | None]]:
    """(method, path, body) of every curl command in the README's sh blocks."""
    text = README.read_text()
    api = re.search(r'^API=(\S+)$', text, re.M).group(1)
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if not line.startswith("curl "):
                continue
            assert 'Authorization: Bearer $TOKEN' in line, line  # the docs show auth
            words = shlex.split(line.replace("$API", api))
            method = words[words.index("-X") + 1] if "-X" in words else "GET"
            body = words[words.index("-d") + 1] if "-d" in words else None
            url = next(w for w in words if w.startswith("http"))
            commands.append((method, url.removeprefix(API_PREFIX), body))
    return commands


def test_readme_walkthrough_runs_and_leaves_the_documented_state(api):
    commands = readme_curls()
    assert len(commands) >= 8
    for method, path, body in commands:
        reply = api.request(method, path, raw=body.encode() if body else None)
        assert reply.status_code < 300, (method, path, reply.data)
    stream = api.get(ns_path("imagestreams", "python")).data
    status = {t["tag"]: t["items"] for t in stream["status"]["tags"]}
    assert "3.5" not in status
    assert [e["image"] for e in status["latest"]] == [IMAGE]
    assert [e["image"] for e in status["stable"]] == [IMAGE]
    assert [e["dockerImageReference"] for e in status["3.6"]] == [
        f"centos/python-35-centos7@{IMAGE}", "docker.io/python:3.6.0"]
    latest = api.get(ns_path("imagestreamtags", "python:latest")).data
    assert latest["image"]["dockerImageMetadata"]["Architecture"] == "amd64"
