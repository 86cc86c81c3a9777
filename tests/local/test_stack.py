"""`make run` for real: the stack's processes on free ports, driven over HTTP.

Starts `python -m local.stack` as a person would (in its own process group, like a
terminal job), walks the README's first steps, sees the tag change arrive on the demo
queue, stops it with SIGTERM, checks that no child process is left, and starts it again
on the same state directory to find the streams, a trigger and a secret still there; then
stops it as Ctrl-C does.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import boto3
import pytest
import requests

from tests.support.oci_layout import OciLayout
from tests.support.registry import free_port, require_tools

ROOT = Path(__file__).resolve().parents[2]
MAPPING = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
           "metadata": {"name": "python"}, "tag": "3.5",
           "image": {"metadata": {"name": "sha256:" + "49c18358df82" * 5 + "0123"},
                     "dockerImageReference": "centos/python-35-centos7@sha256:"
                                             + "49c18358df82" * 5 + "0123"}}


@dataclass
class RunningStack:
    process: subprocess.Popen
    output: Path
    env: dict[str, str]
    endpoint: dict

    @property
    def api(self) -> str:
        return self.endpoint["api"] + "/apis/image.openshift.io/v1/namespaces/default"

    @property
    def http(self) -> requests.Session:
        """Requests as the cluster-admin whose token the stack made at start."""
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.endpoint['token']}"
        return session

    def aws(self, service: str):
        return boto3.client(service, endpoint_url=self.endpoint["aws_endpoint"],
                            region_name=self.endpoint["region"], aws_access_key_id="local",
                            aws_secret_access_key="local")

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def descendants(self) -> set[int]:
        found, pending = set(), [self.process.pid]
        while pending:
            pid = pending.pop()
            for task in Path(f"/proc/{pid}/task").glob("*"):
                children = (task / "children").read_text().split()
                found.update(map(int, children))
                pending += map(int, children)
        return found

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT to the terminal's foreground process group, the stack's own."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=60)


def wait_for(condition: Callable[[], object], what: str, stack: RunningStack,
             timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        assert stack.process.poll() is None, f"the stack exited:\n{stack.log()}"
        time.sleep(0.2)
    pytest.fail(f"{what} within {timeout:.0f}s; the stack said:\n{stack.log()}")


@pytest.fixture
def start_stack(tmp_path: Path) -> Iterator[Callable[[], RunningStack]]:
    require_tools()
    ports = {"API_PORT": free_port(), "AWS_PORT": free_port(), "REGISTRY_PORT": free_port()}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()},
           "LOCAL_STATE_DIR": str(tmp_path / "state"), "SCHEDULE_SECONDS": "2",
           "SNAPSHOT_SECONDS": "600"}
    started: list[RunningStack] = []

    def start() -> RunningStack:
        output = tmp_path / f"stack-{len(started)}.log"
        with open(output, "wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "local.stack"], cwd=ROOT, env=env,
                                       stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        stack = RunningStack(process, output, env, {})
        started.append(stack)
        endpoint = tmp_path / "state" / "endpoint.json"
        wait_for(lambda: endpoint.exists() and "running" in stack.log(), "the stack started",
                 stack, timeout=120)
        stack.endpoint = json.loads(endpoint.read_text())
        return stack

    yield start
    for stack in started:  # a failed test must not leave a stack behind
        if stack.process.poll() is None:
            os.killpg(stack.process.pid, signal.SIGKILL)
            stack.process.wait()


def test_the_stack_serves_publishes_stops_cleanly_and_keeps_its_state(start_stack, tmp_path):
    stack = start_stack()
    assert stack.endpoint["token"].startswith("isk_") and stack.endpoint["table_name"]
    assert requests.get(f"{stack.api}/imagestreams", timeout=30).status_code == 401
    response = stack.http.post(f"{stack.api}/imagestreams", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": "python"}}, timeout=30)
    assert response.status_code == 201, response.text
    assert stack.http.post(f"{stack.api}/imagestreammappings", json=MAPPING,
                         timeout=30).status_code == 201
    assert stack.http.put(f"{stack.api}/imagestreamtags/python:latest", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
        "tag": {"from": {"kind": "ImageStreamTag", "name": "python:3.5"}}},
        timeout=30).status_code in (200, 201)
    described = stack.http.get(f"{stack.api}/imagestreams/python", timeout=30).json()
    assert {tag["tag"] for tag in described["status"]["tags"]} == {"3.5", "latest"}
    assert described["status"]["dockerImageRepository"] == \
        f"{stack.endpoint['registry']}/default/python"
    assert requests.get(f"http://{stack.endpoint['registry']}/v2/", timeout=10).ok

    # A push to the local registry reaches the service as a mapping (its notification).
    layout = OciLayout(tmp_path / "layout")
    pushed = layout.image([{"app": b"pushed"}])
    layout.tag("v1", pushed)
    subprocess.run(["skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false",
                    f"oci:{layout.path}:v1",
                    f"docker://{stack.endpoint['registry']}/default/python:pushed"],
                   check=True, capture_output=True, timeout=120)
    wait_for(lambda: stack.http.get(f"{stack.api}/imagestreamtags/python:pushed", timeout=30)
             .json().get("image", {}).get("metadata", {}).get("name") == pushed.manifest.digest,
             "the push moved python:pushed", stack)

    # The tag move went table -> stream -> pump -> handler -> SNS -> the demo queue.
    wait_for(lambda: "demo queue: SNS message" in stack.log()
             and "Created default/python:3.5" in stack.log(), "the demo queue got the change",
             stack)

    # State beyond the table: a trigger (its SNS subscription and queue) and a secret.
    sqs = stack.aws("sqs")
    queue = sqs.create_queue(QueueName="deploys")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    trigger = stack.http.post(f"{stack.api}/imagestreams/python/triggers", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTrigger",
        "metadata": {"name": "deploy"},
        "spec": {"endpoint": {"protocol": "sqs", "endpoint": queue_arn}}}, timeout=30)
    assert trigger.status_code == 201, trigger.text
    stack.aws("secretsmanager").create_secret(Name="imagestreams/default/pull", SecretString="s")

    second = subprocess.run([sys.executable, "-m", "local.stack"], cwd=ROOT, env=stack.env,
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 1 and "already running" in second.stderr, second.stderr

    children = stack.descendants()
    assert len(children) >= 4, children  # emulator, registry, app, worker
    assert stack.stop() == 0, stack.log()
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert not alive, f"left behind: {alive}"
    assert "saved" in stack.log()

    again = start_stack()
    restored = again.http.get(f"{again.api}/imagestreams/python", timeout=30)
    assert restored.status_code == 200, restored.text
    assert {tag["tag"] for tag in restored.json()["status"]["tags"]} == {"3.5", "latest", "pushed"}
    time.sleep(2)  # the restore's own writes must not be published as changes
    assert "demo queue: SNS message" not in again.log()
    assert again.aws("secretsmanager").get_secret_value(
        SecretId="imagestreams/default/pull")["SecretString"] == "s"
    subscription = again.http.get(f"{again.api}/imagestreams/python/triggers/deploy",
                                timeout=30).json()["status"]["subscriptionArn"]
    assert subscription.startswith(again.endpoint["topic_arn"] + ":")
    assert again.http.put(f"{again.api}/imagestreamtags/python:3.6", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
        "tag": {"from": {"kind": "DockerImage", "name": "docker.io/python:3.6.0"},
                "reference": True}}, timeout=30).ok
    sqs = again.aws("sqs")
    queue = sqs.get_queue_url(QueueName="deploys")["QueueUrl"]
    received: list = []
    wait_for(lambda: received.extend(sqs.receive_message(QueueUrl=queue).get("Messages", []))
             or received, "the restored trigger delivered", again)
    assert json.loads(received[0]["Body"])["tag"] == "3.6"
    children = again.descendants()
    assert again.interrupt() == 0, again.log()
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert "saved" in again.log()
