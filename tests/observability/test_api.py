"""The API function's log lines and metrics, on real calls of the handler as Lambda makes
them (`app(event, context)` with an API Gateway proxy event) and through Chalice's client."""
from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from chalice.local import LambdaContext
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from testbed.auth import ADMIN, admin_headers, grant
from testbed.emf import emf_documents, in_lambda, metrics_of
from testbed.proxy_events import proxy_event

V1 = "/apis/image.openshift.io/v1"
NS = "team"
STREAMS = V1 + "/namespaces/{namespace}/imagestreams"
ISTAG = V1 + "/namespaces/{namespace}/imagestreamtags/{name}"
MAPPINGS = V1 + "/namespaces/{namespace}/imagestreammappings"
DIGEST = "sha256:" + "c" * 64
API_REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"  # testbed.proxy_events' requestId


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[wiring.Services]:
    in_lambda(monkeypatch)
    services = wiring.Services(MemoryStore(), "registry.test:5000")
    wiring.use(services)
    yield services
    wiring.use(None)


def call(method: str, resource: str, body: object = None, **params: str) -> dict:
    """The handler as Lambda calls it: API Gateway's event, a Lambda context."""
    context = LambdaContext("imagestreams-app", 512)
    response = app(proxy_event(method, resource, {"namespace": NS, **params}, ADMIN,
                               body=body), context)
    response["requestId"] = context.aws_request_id
    return response


def writes(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "chalicelib.api.dispatch"]


def test_a_write_logs_one_line_with_its_request_ids_namespace_stream_and_tag(
        services: wiring.Services, caplog: pytest.LogCaptureFixture) -> None:
    admin_headers(services)  # the admin's binding
    caplog.set_level(logging.INFO, logger="chalicelib")
    call("POST", STREAMS, {"metadata": {"name": "web"}})
    response = call("PUT", ISTAG, {"tag": {"from": {"kind": "DockerImage",
                                                    "name": "docker.io/library/web:1"},
                                           "reference": True}}, name="web:latest")
    assert response["statusCode"] == 201
    created, tagged = writes(caplog)
    assert (created.namespace, created.stream, getattr(created, "tag", None)) == (NS, "web", None)
    assert (tagged.namespace, tagged.stream, tagged.tag) == (NS, "web", "latest")
    assert tagged.requestId == response["requestId"] and tagged.apiRequestId == API_REQUEST_ID
    assert (tagged.subject, tagged.verb, tagged.status) == (ADMIN, "update", 201)
    assert tagged.levelno == logging.INFO


def test_a_mapping_names_its_tag_from_the_body_and_a_refused_write_is_logged_too(
        services: wiring.Services, caplog: pytest.LogCaptureFixture) -> None:
    admin_headers(services)
    caplog.set_level(logging.INFO, logger="chalicelib")
    call("POST", STREAMS, {"metadata": {"name": "web"}})
    mapping = {"metadata": {"name": "web"}, "tag": "v2", "image": {
        "metadata": {"name": DIGEST}, "dockerImageReference": f"registry.test/web@{DIGEST}"}}
    assert call("POST", MAPPINGS, mapping)["statusCode"] == 201
    assert call("DELETE", ISTAG, name="web:gone")["statusCode"] == 404
    _, mapped, refused = writes(caplog)
    assert (mapped.namespace, mapped.stream, mapped.tag, mapped.status) == (NS, "web", "v2", 201)
    assert (refused.stream, refused.tag, refused.status) == ("web", "gone", 404)


def test_reads_write_no_line_and_no_metrics(services: wiring.Services,
                                            caplog: pytest.LogCaptureFixture,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    admin_headers(services)
    caplog.set_level(logging.DEBUG, logger="chalicelib")
    assert call("GET", STREAMS)["statusCode"] == 200
    assert not writes(caplog)
    assert emf_documents(capsys.readouterr().out) == []


def test_a_request_with_a_bad_token_counts_as_unauthenticated(
        services: wiring.Services, capsys: pytest.CaptureFixture[str]) -> None:
    """The authorizer lets a bad token through as anonymous, for the function's 401 Status
    (a request with no token at all API Gateway refuses itself: the 4XX of its metrics)."""
    with Client(app) as client:
        assert client.http.get(f"{V1}/namespaces/{NS}/imagestreams", headers={
            "authorization": "Bearer isk_not-a-token"}).status_code == 401
    [document] = emf_documents(capsys.readouterr().out)
    assert metrics_of(document) == {"Unauthenticated": (1, "Count")}
    assert (document["Stack"], document["function"]) == ("obs-test", "app")
    assert document["requestId"]  # the Lambda context's


def test_a_token_without_the_right_counts_as_an_authorization_denial(
        services: wiring.Services, capsys: pytest.CaptureFixture[str]) -> None:
    token = grant(services, "viewer", "view", NS)
    with Client(app) as client:
        response = client.http.post(f"{V1}/namespaces/{NS}/imagestreams",
                                    body='{"metadata": {"name": "web"}}',
                                    headers={"authorization": f"Bearer {token}",
                                             "content-type": "application/json"})
    assert response.status_code == 403
    [document] = emf_documents(capsys.readouterr().out)
    assert metrics_of(document) == {"AuthorizationDenied": (1, "Count")}


def test_an_import_counts_its_outcomes(services: wiring.Services,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A private address no allow list names is refused before any connection."""
    headers = {**admin_headers(services), "content-type": "application/json"}
    body = ('{"metadata": {"name": "web"}, "spec": {"import": true, "images": [{"from": '
            '{"kind": "DockerImage", "name": "10.20.30.40:5000/team/web:1"}, '
            '"to": {"name": "1"}}]}}')
    with Client(app) as client:
        response = client.http.post(f"{V1}/namespaces/{NS}/imagestreamimports", body=body,
                                    headers=headers)
    assert response.status_code == 201, response.body
    [document] = emf_documents(capsys.readouterr().out)
    assert metrics_of(document) == {"ImportsFailed": (1, "Count"),
                                    "ImportsSucceeded": (0, "Count")}
