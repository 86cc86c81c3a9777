"""The python walkthrough with isctl against the real local stack (`make run`): real HTTP,
the app under `chalice local`, DynamoDB on the emulator, and a tag change reaching an SQS
queue through the table's stream and SNS, read back by `isctl events`.

Skipped where the local stack (local/stack.py) or the registry tools it needs are absent.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from isctl.cli import main

from .test_python_scenario import IMAGE_35, IMAGE_36, MAPPING_36, PULL_35, SETUP, fields

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("local.stack", reason="the local stack is not in this tree")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict]:
    from testbed.registry import free_port, require_tools
    require_tools()
    state = tmp_path / "state"
    env = {**os.environ, "API_PORT": str(free_port()), "AWS_PORT": str(free_port()),
           "REGISTRY_PORT": str(free_port()), "LOCAL_STATE_DIR": str(state),
           "SNAPSHOT_SECONDS": "600"}
    log = tmp_path / "stack.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "local.stack"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        endpoint = state / "endpoint.json"
        deadline = time.monotonic() + 120
        while not (endpoint.exists() and "running" in log.read_text(errors="replace")):
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.3)
        # a project directory next to the stack: isctl finds .local/endpoint.json from here
        work = tmp_path / "work"
        (work / "sub").mkdir(parents=True)
        (work / ".local").symlink_to(state, target_is_directory=True)
        yield {**json.loads(endpoint.read_text()), "work": work, "tmp": tmp_path}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def run(stack: dict, capsys, *args: str, stdin: str = "") -> str:
    import io
    capsys.readouterr()
    env = {"HOME": str(stack["tmp"]), "XDG_CONFIG_HOME": str(stack["tmp"] / "config"),
           "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
    code = main(list(args), env=env, cwd=stack["work"] / "sub", stdin=io.StringIO(stdin))
    out, err = capsys.readouterr()
    assert code == 0, (args, out, err)
    return out


def test_python_walkthrough_on_the_local_stack(stack: dict, capsys):
    login = run(stack, capsys, "login")
    assert login.startswith(f'Logged into "{stack["api"]}"')

    # a trigger queue of our own (the stack's worker reads its demo queue itself)
    sqs = boto3.client("sqs", endpoint_url=stack["aws_endpoint"], region_name=stack["region"],
                       aws_access_key_id="local", aws_secret_access_key="local")
    queue = sqs.create_queue(QueueName="isctl-walkthrough")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]

    assert run(stack, capsys, "create", "-f", "-", stdin=SETUP.split("---\n")[0]) == (
        "imagestream.image.openshift.io/python created\n")
    api = f"{stack['api']}/apis/image.openshift.io/v1/namespaces/default"
    reply = requests.post(f"{api}/imagestreams/python/triggers", timeout=30, headers={
        "Authorization": f"Bearer {stack['token']}"}, json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTrigger",
        "metadata": {"name": "walkthrough"}, "spec": {"tags": ["latest"], "endpoint": {
            "protocol": "sqs", "endpoint": arn}}})
    assert reply.status_code == 201, reply.text
    assert run(stack, capsys, "create", "-f", "-", stdin=SETUP.split("---\n")[1]) == (
        "imagestreammapping.image.openshift.io/python created\n")

    assert run(stack, capsys, "tag", "python:3.5", "python:latest") == (
        f"Tag python:latest set to python@{IMAGE_35}.\n")
    described = fields(run(stack, capsys, "describe", "is/python"))
    assert described[0] == ["Name:", "python"]
    assert ["Image Repository:", f"{stack['registry']}/default/python"] in described
    assert ["Unique Images:", "1"] in described and ["Tags:", "2"] in described
    start = described.index(["latest"])
    assert described[start + 1:start + 4] == [
        [f"  tagged from python@{IMAGE_35}"], [""], [f"  * {PULL_35}"]]
    assert re.fullmatch(r"      (Less than a second|\d+ seconds?) ago",
                        described[start + 4][0])
    istag = fields(run(stack, capsys, "describe", "istag/python:latest"))
    assert istag[:3] == [["Image Name:", IMAGE_35], ["Docker Image:", PULL_35],
                         ["Name:", IMAGE_35]]
    assert ["Image Size:", "251.2 MB in 3 layers"] in istag and ["Arch:", "amd64"] in istag

    run(stack, capsys, "create", "-f", "-", stdin=MAPPING_36)
    assert run(stack, capsys, "tag", "python:3.6", "python:latest") == (
        f"Tag python:latest set to python@{IMAGE_36}.\n")
    assert run(stack, capsys, "tag", "-d", "python:3.5") == "Deleted tag default/python:3.5.\n"
    assert run(stack, capsys, "get", "istag", "-o", "name").split() == [
        "imagestreamtag.image.openshift.io/python:3.6",
        "imagestreamtag.image.openshift.io/python:latest"]

    # both moves of latest went table -> stream -> SNS -> our queue
    # (the emulator's address and region come from .local/endpoint.json)
    out = run(stack, capsys, "events", "--queue", queue, "--count", "2", "--timeout", "60")
    lines = out.strip().split("\n")
    assert len(lines) == 2 and all("default/python:latest" in line for line in lines)
    assert any(IMAGE_36 in line for line in lines)  # a standard queue keeps no order
