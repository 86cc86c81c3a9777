"""`make run` for real: the stack's processes on free ports, driven over HTTP.

Starts `python -m local.stack` as a person would (in its own process group, like a
terminal job), walks the README's first steps, sees the tag change arrive on the demo
queue, stops it with SIGTERM, checks that no child process is left, and starts it again
on the same state directory to find the streams, a trigger, a secret and its CA still
there; then stops it as Ctrl-C does. The same API answers over HTTPS with the stack's CA.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import requests

from testbed.local_stack import ROOT, start_stack, wait_for  # noqa: F401 (a fixture)
from testbed.oci_layout import OciLayout

MAPPING = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
           "metadata": {"name": "python"}, "tag": "3.5",
           "image": {"metadata": {"name": "sha256:" + "49c18358df82" * 5 + "0123"},
                     "dockerImageReference": "centos/python-35-centos7@sha256:"
                                             + "49c18358df82" * 5 + "0123"}}


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
    # The registry takes the service's tokens: without one it answers 401, naming the realm.
    challenge = requests.get(f"http://{stack.endpoint['registry']}/v2/", timeout=10)
    assert challenge.status_code == 401
    assert f'realm="{stack.endpoint["api"]}/registry/token"' in \
        challenge.headers["WWW-Authenticate"]

    # The same API over HTTPS (for kubectl), trusted through the CA the stack made.
    tls_api = stack.api.replace(stack.endpoint["api"], stack.endpoint["tls_api"])
    assert stack.endpoint["tls_api"].startswith("https://127.0.0.1:")
    assert requests.get(f"{tls_api}/imagestreams", verify=stack.endpoint["tls_ca"],
                        timeout=30).status_code == 401
    over_tls = stack.http.get(f"{tls_api}/imagestreams/python", verify=stack.endpoint["tls_ca"],
                              timeout=30)
    assert over_tls.status_code == 200, over_tls.text
    assert over_tls.json()["metadata"]["uid"] == described["metadata"]["uid"]
    state = Path(stack.env["LOCAL_STATE_DIR"])
    for private in ("kubeconfig", "endpoint.json", "tls/ca.key", "tls/server.key"):
        assert (state / private).stat().st_mode & 0o777 == 0o600, private
    ca = (state / "tls" / "ca.crt").read_bytes()

    # A push to the local registry (with the admin's token) reaches the service as a
    # mapping (its notification).
    layout = OciLayout(tmp_path / "layout")
    pushed = layout.image([{"app": b"pushed"}])
    layout.tag("v1", pushed)
    subprocess.run(["skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false",
                    f"--dest-creds=anything:{stack.endpoint['token']}", f"oci:{layout.path}:v1",
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
    assert len(children) >= 5, children  # emulator, registry, app, tls-proxy, worker
    assert stack.stop() == 0, stack.log()
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert not alive, f"left behind: {alive}"
    assert "saved" in stack.log()

    again = start_stack()
    assert (state / "tls" / "ca.crt").read_bytes() == ca  # a kubeconfig's CA stays good
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
