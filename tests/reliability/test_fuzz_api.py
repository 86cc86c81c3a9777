"""Schemathesis over every operation of the app's own OpenAPI document, in process.

The document is fetched from `/openapi/v3/imagestreams.json` (`/openapi/v3` is Kubernetes'
index for kubectl); each operation gets requests generated from it, both valid by the
document (positive) and violating it (negative), sent through requests
and the ChaliceAdapter to chalice.test.Client. Every answer must be documented and match
its schema, no answer may be a 5xx, and every 4xx must be a Kubernetes Status whose code is
the HTTP status, naming the field for a 422. Each case starts from a fresh store seeded with
a stream, tags, a trigger, a secret, bindings and tokens, and some cases address those
objects so they get past the NotFound answer.
"""
from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import requests
import schemathesis
from chalice.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import engine as hypothesis_engine
from moto import mock_aws
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import INTERNAL_BUFFER_SIZE
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from urllib3 import HTTPResponse

from app import app
from chalicelib import console, wiring
from chalicelib.adapters.memory_access import MemoryTokenStore
from chalicelib.adapters.sns_subscriptions import SnsSubscriptions
from chalicelib.api.openapi import document
from chalicelib.api.routes import ROUTES
from chalicelib.domain.stored_objects import TokenRecord
from chalicelib.resources.rbac import RoleBinding
from chalicelib.resources.secrets import Secret
from chalicelib.resources.stream import ImageStream, ImageStreamMapping
from chalicelib.resources.triggers import ImageStreamTrigger
from chalicelib.services.actor import SERVICE
from chalicelib.services.watches import Watches
from infra.template import gateway_responses
from local.registry import write_token_key
from testbed.auth import admin_headers
from testbed.dynamodb_key_limits import KeyLimitedBindings, KeyLimitedStore
from tests.cli.chalice_transport import ChaliceAdapter
from tests.reliability.cases import case_count
from tests.reliability.offline import refuse_every_registry
from tests.reliability.status_bodies import assert_failure_status

BASE_URL = "http://imagestreams.fuzz"
REGISTRY = "registry.example.test:5000"
# Cases per operation and generation mode: about 800 in all, some 40 s on 2 cores.
# FUZZ_EXAMPLES raises it for a deeper run by hand.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
NAMESPACE, STREAM, TRIGGER, SECRET = "fuzz", "web", "notify", "pull"
ROLE_BINDING, CLUSTER_ROLE_BINDING = "viewers", "auditors"
PRUNE_RUN = "weekly"
DIGEST = "sha256:" + "a" * 64
USER_TOKEN, SERVICE_ACCOUNT_TOKEN = "0123456789abcdef", "fedcba9876543210"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:fuzz-events"

OPERATIONS = [f"{method.upper()} {path}"
              for path, item in document(ROUTES)["paths"].items() for method in item]
# Not schemathesis's negative_data_rejection: like Kubernetes, the API ignores unknown query
# parameters and takes an empty one as unset, which that check counts as accepting bad input.
# The rejections it does make are checked by assert_failure_status.
WATCH_EVENT_TYPES = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK"}


@schemathesis.check
def schema_or_watch_events(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """A list's answer matches its schema; a watch's is watch events, one JSON object a
    line, which an OpenAPI response schema cannot describe under application/json."""
    if str((case.query or {}).get("watch")).lower() not in ("true", "1") or \
            response.status_code != 200:
        return response_schema_conformance(ctx, response, case)
    for line in response.content.decode().splitlines():
        event = json.loads(line)
        assert event["type"] in WATCH_EVENT_TYPES, line
        assert isinstance(event["object"]["metadata"]["resourceVersion"], str), line
    return True


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          schema_or_watch_events]


class Instant:
    """A clock whose sleeps pass at once: a fuzzed watch with nothing to send waits out its
    whole timeout in no time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
count = case_count("API operations from /openapi/v3/imagestreams.json (schemathesis)")


def _existing(path: str) -> dict[str, str]:
    """Path parameters naming the seeded objects, for the path template `path`."""
    values: dict[str, str] = {}
    if "{namespace}" in path:
        values["namespace"] = NAMESPACE
    if "{trigger}" in path:
        values["trigger"] = TRIGGER
    if "{name}" in path:
        segments = path.split("/")
        resource = segments[segments.index("{name}") - 1]
        values["name"] = {
            "imagestreams": STREAM, "imagestreamtags": f"{STREAM}:latest",
            "imagestreamimages": f"{STREAM}@{DIGEST}", "images": DIGEST, "secrets": SECRET,
            "rolebindings": ROLE_BINDING, "clusterrolebindings": CLUSTER_ROLE_BINDING,
            "accesstokens": SERVICE_ACCOUNT_TOKEN if "{namespace}" in path else USER_TOKEN,
            "imagepruneruns": PRUNE_RUN,
            "assets": console.assets()["app.js"].name,
        }[resource]
    return values


class GatewayAdapter(ChaliceAdapter):
    """The ChaliceAdapter, answering as the deployed API does where the two differ.

    chalice.test.Client stands in for API Gateway, which answers a request without a token
    itself; deployed, those answers are Status bodies from infra/gateway_responses.json, so
    the same template is applied here. The response also gets the urllib3 `raw` a network
    response has, where schemathesis reads the headers.
    """

    templates = {int(response["StatusCode"]): response["ResponseTemplates"]["application/json"]
                 for kind, response in gateway_responses().items()
                 if kind in ("UNAUTHORIZED", "ACCESS_DENIED")}

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = super().send(request, **kwargs)
        if "kind" not in _json(response.content) and response.status_code in (401, 403):
            message = _json(response.content).get("message", "")
            response._content = self.templates[response.status_code].replace(
                "$context.error.messageString", json.dumps(message)).encode()
            response.headers["Content-Type"] = "application/json"
        response.raw = HTTPResponse(body=io.BytesIO(response.content), preload_content=False,
                                    headers=dict(response.headers), status=response.status_code,
                                    version=11)
        return response


def _json(content: bytes) -> dict:
    try:
        value = json.loads(content)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class Cloud:
    """moto's SNS topic behind the triggers API."""

    sns: Any
    topic_arn: str


@pytest.fixture(scope="module")
def cloud() -> Iterator[Cloud]:
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1", aws_access_key_id="testing",
                           aws_secret_access_key="testing")
        yield Cloud(sns, sns.create_topic(Name="imagestreams-events")["TopicArn"])


@pytest.fixture(scope="module", autouse=True)
def registry_token_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A signing key for the registry token endpoint, as `make run` makes one: without it
    the endpoint is 404 (as in AWS), and its operation would never answer a token."""
    key_file = tmp_path_factory.mktemp("registry") / "token-signing.pem"
    write_token_key(key_file, datetime.now(UTC))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REGISTRY_TOKEN_KEY_FILE", str(key_file))
        yield


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with Client(app) as client:
        session = requests.Session()
        session.mount(BASE_URL, GatewayAdapter(client))
        yield session


@pytest.fixture(scope="module")
def schema(session: requests.Session, cloud: Cloud) -> schemathesis.BaseSchema:
    headers = fresh_world(cloud)
    reply = session.get(f"{BASE_URL}/openapi/v3/imagestreams.json", headers=headers)
    assert reply.status_code == 200
    wiring.use(None)
    return schemathesis.openapi.from_dict(reply.json())


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_every_registry(monkeypatch)
    # schemathesis's own buffer for its larger bodies (tests/conftest.py sets Hypothesis's).
    monkeypatch.setattr(hypothesis_engine, "BUFFER_SIZE", INTERNAL_BUFFER_SIZE)


def fresh_world(cloud: Cloud) -> dict[str, str]:
    """New stores with the seeded objects, installed as the app's services; admin headers."""
    tokens = MemoryTokenStore()
    services = wiring.Services(KeyLimitedStore(), REGISTRY, token_store=tokens,
                               binding_store=KeyLimitedBindings(),
                               subscriptions=lambda: SnsSubscriptions(cloud.sns, cloud.topic_arn))
    clock = Instant()
    services.watches = Watches(services.changes, clock, clock.sleep)
    wiring.use(services)
    headers = admin_headers(services)
    services.streams.create(SERVICE, NAMESPACE, ImageStream.model_validate({
        "metadata": {"name": STREAM, "labels": {"app": "web"}},
        "spec": {"tags": [{"name": "stable",
                           "from": {"kind": "ImageStreamTag", "name": f"{STREAM}:latest"}}]}}))
    for tag, digest in (("latest", DIGEST), ("v1", "sha256:" + "b" * 64)):
        services.tags.map(SERVICE, NAMESPACE, ImageStreamMapping.model_validate({
            "metadata": {"name": STREAM}, "tag": tag,
            "image": {"metadata": {"name": digest},
                      "dockerImageReference": f"{REGISTRY}/{NAMESPACE}/{STREAM}@{digest}"}}))
    services.triggers.create(NAMESPACE, STREAM, ImageStreamTrigger.model_validate({
        "metadata": {"name": TRIGGER},
        "spec": {"endpoint": {"protocol": "sqs", "endpoint": QUEUE_ARN}}}))
    services.secrets.create(NAMESPACE, Secret.model_validate({
        "metadata": {"name": SECRET}, "type": "kubernetes.io/dockerconfigjson",
        "stringData": {".dockerconfigjson": json.dumps(
            {"auths": {REGISTRY: {"username": "u", "password": "p"}}})}}))
    for namespace, name in ((NAMESPACE, ROLE_BINDING), (None, CLUSTER_ROLE_BINDING)):
        services.access.create_binding(namespace, RoleBinding.model_validate({
            "metadata": {"name": name}, "roleRef": {"kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "User", "name": "alice"}]}))
    created = datetime(2026, 1, 1, tzinfo=UTC)
    for token_id, subject in ((USER_TOKEN, "alice"),
                              (SERVICE_ACCOUNT_TOKEN, f"system:serviceaccount:{NAMESPACE}:ci")):
        tokens.put_token(TokenRecord(token_id, token_id * 4, subject, created))
    services.pruning.start(SERVICE, None, name=PRUNE_RUN)
    return headers


def _strategy(operation: Any, mode: GenerationMode) -> st.SearchStrategy | None:
    """Cases for `operation`, some of them addressing the seeded objects; None if the
    mode has nothing to vary (a negative case needs a parameter, a body or a token to
    break: any text is a valid path segment, so an open route's path alone is not one)."""
    others = [p for p in operation.iter_parameters() if p.location != "path"]
    breakable = others or operation.body or operation.definition.raw.get("security")
    if mode is GenerationMode.NEGATIVE and not breakable:
        return None
    generated = operation.as_strategy(mode)
    existing = _existing(operation.path)
    if existing and (mode is GenerationMode.POSITIVE or others or operation.body):
        return st.one_of(generated, operation.as_strategy(mode, path_parameters=existing))
    return generated


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=lambda mode: mode.value)
@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_answers_with_documented_responses_and_status_errors(
        label: str, mode: GenerationMode, schema: schemathesis.BaseSchema,
        session: requests.Session, cloud: Cloud) -> None:
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    strategy = _strategy(operation, mode)
    if strategy is None:
        pytest.skip("nothing in this operation's requests to make invalid")
    successes = []

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        admin = fresh_world(cloud)
        # A negative case may leave the token out on purpose: then it goes without one.
        headers = None if schema.is_security_param_negated(case) else admin
        try:
            response = case.call(base_url=BASE_URL, session=session, headers=headers)
        finally:
            wiring.use(None)
        count.record_status(response.status_code)
        successes.append(response.status_code < 300)
        case.validate_response(response, checks=CHECKS, headers=headers)
        if 400 <= response.status_code < 500:
            assert_failure_status(response.status_code, response.json())

    run()
    if mode is GenerationMode.POSITIVE and operation.method.upper() == "GET":
        assert any(successes), "no case read a seeded object (or list)"


@pytest.mark.parametrize("path, group", [
    (f"/apis/image.openshift.io/v1/namespaces/{NAMESPACE}/imagestreams/{STREAM}",
     "image.openshift.io"),
    (f"/apis/rbac.authorization.k8s.io/v1/namespaces/{NAMESPACE}/rolebindings/{ROLE_BINDING}",
     "rbac.authorization.k8s.io"),
    (f"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{CLUSTER_ROLE_BINDING}",
     "rbac.authorization.k8s.io"),
    (f"/apis/imagestreams.dev/v1/accesstokens/{USER_TOKEN}", "imagestreams.dev"),
])
def test_a_deletion_answers_with_a_success_status_of_its_own_group(
        path: str, group: str, session: requests.Session, cloud: Cloud) -> None:
    # Found by the fuzzer: the document required a message and reason a success Status
    # has not, and role binding and token deletions named the image.openshift.io group.
    headers = fresh_world(cloud)
    try:
        reply = session.delete(BASE_URL + path, headers=headers)
    finally:
        wiring.use(None)
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "Success" and body["code"] == 200
    assert "message" not in body and "reason" not in body
    assert body["details"]["group"] == group
    assert body["details"]["name"] == path.rsplit("/", 1)[1]
