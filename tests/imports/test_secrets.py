"""Registry secrets: the Kubernetes Secret API (names only out), Secrets Manager storage,
imports that authenticate with them, and values that never reach an answer or a log."""
from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib import wiring
from chalicelib.adapters.memory_secrets import MemorySecrets
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.adapters.secrets_manager import SecretsManagerSecrets
from chalicelib.services.imports import ImportSettings
from testbed.auth import admin_headers
from testbed.registry import RegistryServer
from tests.api.conftest import Api

from .conftest import FAST, LOOPBACK

SECRETS = "/api/v1/namespaces/{}/secrets"
USER, PASSWORD = "robot", "s3cr3t-Pa55word-for-tests"
AUTH = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def docker_config(host: str = "registry.example.test", auth: str = AUTH) -> str:
    return json.dumps({"auths": {host: {"auth": auth}}})


def secret(name: str, content: str, *, as_string: bool = False,
           kind: str = "kubernetes.io/dockerconfigjson") -> dict:
    """What `oc create secret docker-registry NAME --dry-run=client -o json` writes."""
    body: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
                            "type": kind}
    key = ".dockerconfigjson" if kind.endswith("dockerconfigjson") else ".dockercfg"
    if as_string:
        body["stringData"] = {key: content}
    else:
        body["data"] = {key: base64.b64encode(content.encode()).decode()}
    return body


class Recorder(Api):
    """Keeps every answer, to check none of them carries a secret value."""

    def __init__(self, client: Client, headers: dict[str, str]):
        super().__init__(client, headers)
        self.bodies: list[bytes] = []

    def request(self, *args: Any, **kwargs: Any):
        response = super().request(*args, **kwargs)
        self.bodies.append(response.body or b"")
        return response


@pytest.fixture(params=["memory", "secretsmanager"])
def api(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Iterator[Recorder]:
    caplog.set_level(logging.DEBUG)
    settings = ImportSettings(allow_list=LOOPBACK, **FAST)
    with mock_aws():
        if request.param == "memory":
            store: Any = MemorySecrets()
        else:
            manager = boto3.client("secretsmanager", region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")
            store = SecretsManagerSecrets(lambda: manager, "imagestreams-test/")
        services = wiring.Services(MemoryStore(), secret_store=lambda: store,
                                   import_settings=settings)
        wiring.use(services)
        with Client(app) as http:
            recorder = Recorder(http, admin_headers(services))
            yield recorder
        wiring.use(None)
    leaked = [PASSWORD, AUTH, base64.b64encode(docker_config().encode()).decode()]
    for body in recorder.bodies:
        assert not any(value.encode() in body for value in leaked)
    records = [record for phase in ("setup", "call", "teardown")
               for record in caplog.get_records(phase)]
    if request.param == "secretsmanager":  # botocore's debug records were captured
        assert any(record.name == "botocore.endpoint" for record in records)
    logged = "\n".join(record.getMessage() for record in records)
    assert not any(value in logged for value in leaked)


def test_create_list_get_delete(api: Recorder) -> None:
    created = api.post(SECRETS.format("team"), secret("quay", docker_config()))
    assert created.status_code == 201, created.data
    assert created.data["metadata"]["name"] == "quay" and created.data["metadata"]["uid"]
    assert created.data["type"] == "kubernetes.io/dockerconfigjson"
    assert "data" not in created.data and "stringData" not in created.data
    api.post(SECRETS.format("team"), secret("docker-hub", docker_config("docker.io"),
                                            as_string=True))
    api.post(SECRETS.format("team-b"), secret("other", docker_config()))
    listed = api.get(SECRETS.format("team")).data
    assert listed["kind"] == "SecretList"
    assert [(s["metadata"]["name"], s["type"]) for s in listed["items"]] == [
        ("docker-hub", "kubernetes.io/dockerconfigjson"),
        ("quay", "kubernetes.io/dockerconfigjson")]
    assert all("data" not in s for s in listed["items"])
    got = api.get(SECRETS.format("team") + "/quay")
    assert got.status_code == 200 and got.data == created.data
    deleted = api.delete(SECRETS.format("team") + "/quay")
    assert (deleted.status_code, deleted.data["status"]) == (200, "Success")
    assert api.get(SECRETS.format("team") + "/quay").status_code == 404
    assert api.delete(SECRETS.format("team") + "/quay").status_code == 404
    # a deleted name can be used again at once, as in Kubernetes
    assert api.post(SECRETS.format("team"), secret("quay", docker_config())).status_code == 201
    assert [s["metadata"]["name"] for s in api.get(SECRETS.format("team-b")).data["items"]] == [
        "other"]


def test_a_second_secret_of_the_same_name_is_refused(api: Recorder) -> None:
    api.post(SECRETS.format("team"), secret("quay", docker_config()))
    again = api.post(SECRETS.format("team"), secret("quay", docker_config()))
    assert (again.status_code, again.data["reason"]) == (409, "AlreadyExists")


@pytest.mark.parametrize("body, field", [
    (secret("bad", "{not json"), "data[.dockerconfigjson]"),
    (secret("bad", json.dumps({"auths": {"x.io": {"auth": "bm90LWEtcGFpcg=="}}})),
     "data[.dockerconfigjson]"),
    ({**secret("bad", docker_config()), "data": {".dockerconfigjson": "%%%"}},
     "data[.dockerconfigjson]"),
    ({**secret("bad", docker_config()), "data": {}}, "data[.dockerconfigjson]"),
    (secret("bad", docker_config(), kind="Opaque"), "type"),
    (secret("Bad_Name", docker_config()), "metadata.name"),
])
def test_invalid_secrets_are_refused_without_echoing_them(api: Recorder, body: dict,
                                                          field: str) -> None:
    reply = api.post(SECRETS.format("team"), body)
    assert reply.status_code == 422, reply.data
    assert [c["field"] for c in reply.data["details"]["causes"]] == [field]
    assert "not json" not in json.dumps(reply.data)


def test_legacy_dockercfg_secrets_are_accepted(api: Recorder) -> None:
    content = json.dumps({"registry.example.test": {"auth": AUTH}})
    reply = api.post(SECRETS.format("team"), secret("old", content, kind="kubernetes.io/dockercfg"))
    assert (reply.status_code, reply.data["type"]) == (201, "kubernetes.io/dockercfg")


def test_an_import_authenticates_with_the_namespace_secret(api: Recorder, private,
                                                           basic_registry: RegistryServer) -> None:
    user, password = basic_registry.credentials
    config = json.dumps({"auths": {basic_registry.host: {"username": user, "password": password}}})
    api.post(SECRETS.format("team"), secret("basic", config, as_string=True))
    body = {"kind": "ImageStreamTag", "tag": {
        "from": {"kind": "DockerImage", "name": f"{basic_registry.host}/imports/private:1.0"},
        "importPolicy": {"insecure": True}}}
    reply = api.put("/apis/image.openshift.io/v1/namespaces/team/imagestreamtags/app:1", body)
    assert reply.status_code == 201, reply.data
    assert reply.data["image"]["metadata"]["name"] == private.digest
    for body_bytes in api.bodies:
        assert password.encode() not in body_bytes
