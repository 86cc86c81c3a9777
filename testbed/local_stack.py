"""`make run` for tests: `python -m local.stack` on free ports and a state directory of its own.

Import the fixture into a test module (or a conftest.py):

    from testbed.local_stack import RunningStack, start_stack, wait_for  # noqa: F401

`start_stack()` starts the stack as a person would (in its own process group, like a
terminal job), waits for its banner and returns a RunningStack; called again, it starts
another on the same state directory and ports (after the first was stopped). A stack the
test left running is killed at the end.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from testbed.registry import free_port, require_tools

ROOT = Path(__file__).resolve().parents[1]


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

    def map_image(self, stream: str, tag: str, reference: str) -> requests.Response:
        """POST an ImageStreamMapping in `default`, as a registry push makes one."""
        digest = reference.rpartition("@")[2]
        return self.http.post(self.api + "/imagestreammappings", json={
            "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
            "metadata": {"name": stream}, "tag": tag,
            "image": {"metadata": {"name": digest}, "dockerImageReference": reference}})

    def user_with_role(self, user: str, role: str, namespace: str = "default") -> str:
        """Bind `role` to `user` in `namespace` (as the stack's cluster-admin); a new token
        of theirs."""
        api = self.endpoint["api"]
        bound = self.http.post(f"{api}/apis/rbac.authorization.k8s.io/v1/namespaces/"
                               f"{namespace}/rolebindings", json={
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": f"{user}-{role}"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                          "name": user}]}, timeout=30)
        assert bound.status_code == 201, bound.text
        made = self.http.post(f"{api}/apis/imagestreams.dev/v1/accesstokens", json={
            "apiVersion": "imagestreams.dev/v1", "kind": "AccessToken",
            "spec": {"subject": user}}, timeout=30)
        assert made.status_code == 201, made.text
        return made.json()["status"]["token"]

    def aws(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint["aws_endpoint"],
                            region_name=self.endpoint["region"], aws_access_key_id="local",
                            aws_secret_access_key="local")

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def descendants(self) -> set[int]:
        found: set[int] = set()
        pending = [self.process.pid]
        while pending:
            pid = pending.pop()
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    children = (task / "children").read_text().split()
                except FileNotFoundError:
                    continue  # the thread ended between the listing and the read
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
    ports = {"API_PORT": free_port(), "API_TLS_PORT": free_port(), "AWS_PORT": free_port(),
             "REGISTRY_PORT": free_port()}
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
