"""The real kubectl against `make run`, over HTTPS with the kubeconfig the stack writes.

client-go sends a bearer token to an HTTPS server only, so kubectl goes through the
stack's TLS front (local/tls_proxy.py), trusting the CA the kubeconfig carries. It reads
discovery first (/api, /apis, /api/v1, /apis/image.openshift.io/v1), then the resources.

`kubectl create` runs with --validate=false for now: kubectl validates a manifest against
Kubernetes' OpenAPI v3 index at /openapi/v3 (falling back to /openapi/v2), and the service
serves its own OpenAPI document there instead, so validation fails with "the server could
not find the requested resource".

Skipped only where kubectl is not installed; .ci/run installs Debian's kubernetes-client.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.local_stack import RunningStack, start_stack  # noqa: F401 (a fixture)

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason=(
    "kubectl is not on PATH: apt-get install kubernetes-client (.ci/run installs it)"))
STREAM = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
          "metadata": {"name": "python", "labels": {"app": "walkthrough"}}}


def kubectl(stack: RunningStack, home: Path, *args: str) -> subprocess.CompletedProcess:
    """kubectl with the stack's kubeconfig; HOME is the test's, so discovery is read afresh
    (kubectl caches it under ~/.kube/cache) and the user's own files are left alone."""
    env = {**os.environ, "HOME": str(home), "KUBECONFIG": stack.endpoint["kubeconfig"]}
    return subprocess.run([KUBECTL, *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_kubectl_creates_lists_shows_and_deletes_an_image_stream(start_stack, tmp_path):
    stack = start_stack()
    home = tmp_path / "home"
    home.mkdir()

    def ok(*args: str) -> str:
        done = kubectl(stack, home, *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    assert stack.endpoint["tls_api"].startswith("https://")
    assert set(ok("api-resources", "--api-group=image.openshift.io", "-o", "name").split()) >= {
        "imagestreams.image.openshift.io", "imagestreamtags.image.openshift.io"}

    empty = kubectl(stack, home, "get", "is")
    assert (empty.returncode, empty.stdout) == (0, ""), empty.stderr
    assert empty.stderr == "No resources found in default namespace.\n"

    manifest = tmp_path / "stream.json"
    manifest.write_text(json.dumps(STREAM))
    assert ok("create", "--validate=false", "-f", str(manifest)) == (
        "imagestream.image.openshift.io/python created\n")

    header, *rows = ok("get", "is").splitlines()
    assert header.split()[0] == "NAME" and [row.split()[0] for row in rows] == ["python"]

    shown = yaml.safe_load(ok("get", "is", "python", "-o", "yaml"))
    assert (shown["apiVersion"], shown["kind"]) == ("image.openshift.io/v1", "ImageStream")
    assert shown["metadata"]["name"] == "python"
    assert shown["metadata"]["namespace"] == "default"
    assert shown["metadata"]["labels"] == {"app": "walkthrough"}
    assert shown["status"]["dockerImageRepository"] == \
        f"{stack.endpoint['registry']}/default/python"

    assert ok("delete", "is", "python") == 'imagestream.image.openshift.io "python" deleted\n'
    gone = kubectl(stack, home, "get", "is", "python")
    assert gone.returncode == 1
    assert gone.stderr.strip() == (
        'Error from server (NotFound): imagestreams.image.openshift.io "python" not found')
