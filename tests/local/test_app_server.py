"""`make run`'s app server (local/app_server.py): no answer or log line holds a caller's token.

chalice local answered a path deeper than the catch-all routes with a 403 that repeated the
Authorization header, and logged request lines with their query strings, a token sent as
`?access_token=` included. The server is started as the stack starts it.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from infra.template import gateway_responses
from local.app_server import redacted
from local.processes import Child, stop
from local.settings import Settings
from local.stack import AWS_VARIABLES, start_app
from testbed.registry import free_port

TOKEN = "isk_" + secrets.token_urlsafe(32)
V1 = "/apis/image.openshift.io/v1"


class Served:
    def __init__(self, url: str, log: Path):
        self.url, self.log = url, log

    def request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        return requests.request(method, self.url + path, timeout=30, **kwargs)  # type: ignore[arg-type]

    def logged(self) -> str:
        time.sleep(0.2)  # the handler writes its line after the answer
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    state = tmp_path_factory.mktemp("app-server")
    settings = Settings(api_port=free_port(), state_dir=state)
    env = {k: v for k, v in os.environ.items() if k not in AWS_VARIABLES}
    env.update({"IMAGESTREAMS_STORE": "memory", "PYTHONUNBUFFERED": "1"})
    log = state / "app.log"
    child: Child = start_app(settings, env, log)
    try:
        yield Served(settings.api_url, log)
    finally:
        stop(child)


def leaks(response: requests.Response) -> bool:
    headers = json.dumps(dict(response.headers))
    return TOKEN in response.text or TOKEN in headers


def test_a_path_deeper_than_any_route_is_the_deployed_404_without_the_token(
        served: Served) -> None:
    deep = V1 + "/namespaces/default/imagestreams/web/" + "/".join(["x"] * 30)
    for headers in ({"Authorization": f"Bearer {TOKEN}"}, {"authorization": TOKEN}, {}):
        response = served.request("GET", deep, headers=headers)
        assert response.status_code == 404, response.text
        assert not leaks(response)
        expected = json.loads(gateway_responses()["MISSING_AUTHENTICATION_TOKEN"][
            "ResponseTemplates"]["application/json"])
        assert response.json() == expected


@pytest.mark.parametrize("method, path", [
    ("GET", "/"), ("GET", "/apis"), ("GET", V1 + "/namespaces/default/imagestreams"),
    ("GET", V1 + "/namespaces/default/imagestreams/web"),
    ("DELETE", V1 + "/namespaces/default/imagestreams/web"),
    ("POST", V1 + "/namespaces/default/imagestreams"), ("PATCH", V1 + "/images/x"),
    ("PUT", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/x"),
    ("GET", "/api/v1/namespaces/default/secrets"), ("POST", "/webhooks/registry"),
    ("GET", V1 + "/namespaces/default/imagestreams/web/triggers/x/y/z/w"),
    ("OPTIONS", V1), ("GET", "/no/such/thing/at/all/" + "a/" * 20),
])
def test_no_answer_holds_the_callers_token(served: Served, method: str, path: str) -> None:
    for scheme in ("Bearer ", "Basic ", ""):
        response = served.request(method, path, headers={
            "Authorization": scheme + TOKEN, "Content-Type": "application/json"},
            data=b'{"kind": "ImageStream"')
        assert not leaks(response), (response.status_code, response.text)
        assert response.status_code < 500, response.text


def test_a_token_in_the_query_string_is_refused_and_kept_out_of_the_log(
        served: Served) -> None:
    path = f"{V1}/namespaces/default/imagestreams?access_token={TOKEN}&limit=5&token={TOKEN}"
    response = served.request("GET", path)
    assert response.status_code in (401, 403) and not leaks(response)
    # A request line too malformed to serve is logged too, by another path.
    with socket.create_connection(("127.0.0.1", int(served.url.rsplit(":", 1)[1]))) as raw:
        raw.sendall(f"GET /x?access_token={TOKEN} HTTP/1.1 extra\r\n\r\n".encode())
        raw.recv(4096)
    log = served.logged()
    assert TOKEN not in log
    assert "access_token=REDACTED&limit=5&token=REDACTED" in log


@pytest.mark.parametrize("line, expected", [
    ('"GET /apis/x?access_token=isk_a&watch=true HTTP/1.1" 401 -',
     '"GET /apis/x?access_token=REDACTED&watch=true HTTP/1.1" 401 -'),
    ('"GET /apis/x?labelSelector=app%3Dweb&limit=10 HTTP/1.1" 200 -',
     '"GET /apis/x?labelSelector=app%3Dweb&limit=10 HTTP/1.1" 200 -'),
    ("code 400, message Bad request syntax ('GET /x?t=isk_b HTTP/1.1 x')",
     "code 400, message Bad request syntax ('GET /x?t=REDACTED HTTP/1.1 x')"),
    ('"GET /x?isk_c HTTP/1.1" 404 -', '"GET /x?isk_c=REDACTED HTTP/1.1" 404 -'),
    ('"GET /x? HTTP/1.1" 404 -', '"GET /x?REDACTED HTTP/1.1" 404 -'),
    ('"GET /apis/x HTTP/1.1" 200 -', '"GET /apis/x HTTP/1.1" 200 -'),
])
def test_log_lines_keep_only_the_values_of_the_apis_own_parameters(line: str,
                                                                   expected: str) -> None:
    assert redacted(line) == expected


def test_api_gateways_own_answers_repeat_nothing_of_the_request() -> None:
    """Deployed, API Gateway answers some requests itself (infra/gateway_responses.json).
    `$context.error.messageString` can quote the request (its message for a path no
    resource matches repeats the Authorization header), so every answer is a fixed body."""
    for kind, response in gateway_responses().items():
        template = response["ResponseTemplates"]["application/json"]
        assert "$" not in template, kind
        assert json.loads(template)["message"], kind
        assert response.get("ResponseParameters", {}) == {}, kind
