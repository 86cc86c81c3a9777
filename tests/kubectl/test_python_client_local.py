"""The `kubernetes` Python client's DynamicClient against `make run`, with the kubeconfig
the stack writes: discovery, create, list, get, patch and watch, as a script written for
OpenShift does them."""
from __future__ import annotations

import threading
import time
from typing import Any

from kubernetes import config, dynamic

from testbed.local_stack import start_stack  # noqa: F401 (a fixture)

DIGEST = "sha256:" + "d" * 64


def test_the_dynamic_client_lists_gets_patches_and_watches(start_stack):  # noqa: F811
    stack = start_stack()
    client = dynamic.DynamicClient(
        config.new_client_from_config(config_file=stack.endpoint["kubeconfig"]))
    streams = client.resources.get(api_version="image.openshift.io/v1", kind="ImageStream")
    tags = client.resources.get(api_version="image.openshift.io/v1", kind="ImageStreamTag")

    streams.create(namespace="default", body={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": "python"}})
    listed = streams.get(namespace="default")
    deadline = time.monotonic() + 30
    while listed.metadata.resourceVersion == "0":  # the creation is not in the log yet
        assert time.monotonic() < deadline, "the table's stream was not read"
        time.sleep(0.2)
        listed = streams.get(namespace="default")
    assert [item.metadata.name for item in listed.items] == ["python"]
    assert streams.get(namespace="default", name="python").metadata.name == "python"

    patched = streams.patch(namespace="default", name="python",
                            body={"metadata": {"labels": {"tier": "web"}}},
                            content_type="application/merge-patch+json")
    assert patched.metadata.labels.tier == "web"

    # From the list's resourceVersion: the patch made after the list.
    [event] = list(streams.watch(namespace="default",
                                 resource_version=listed.metadata.resourceVersion, timeout=10))
    assert (event["type"], event["object"].metadata.labels.tier) == ("MODIFIED", "web")

    # From that event's resourceVersion: a tag mapped while the watch waits.
    seen: list[dict[str, Any]] = []
    watcher = threading.Thread(target=lambda: seen.extend(tags.watch(
        namespace="default", resource_version=event["object"].metadata.resourceVersion,
        timeout=20)))
    watcher.start()
    time.sleep(1)
    mapped = stack.map_image("python", "3.12", f"quay.io/team/python@{DIGEST}")
    assert mapped.status_code == 201, mapped.text
    watcher.join(timeout=30)
    assert [(e["type"], e["object"].metadata.name) for e in seen] == [("ADDED", "python:3.12")]
    assert seen[0]["object"].image.dockerImageReference == f"quay.io/team/python@{DIGEST}"

    # The object a watch sends can be written back: its resourceVersion guards the update.
    [moved] = list(streams.watch(namespace="default",
                                 resource_version=event["object"].metadata.resourceVersion,
                                 timeout=10))
    assert moved["type"] == "MODIFIED"
    body = moved["object"].to_dict()
    body["metadata"]["annotations"] = {"owner": "ops"}
    assert streams.replace(namespace="default", name="python", body=body
                           ).metadata.annotations.owner == "ops"
    try:
        streams.replace(namespace="default", name="python", body=body)  # stale now
    except dynamic.exceptions.ConflictError as conflict:
        assert conflict.status == 409
    else:
        raise AssertionError("a stale resourceVersion was accepted")
