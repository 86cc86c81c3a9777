"""Every Lambda function's real entry points, run on moto as the deployment runs them, with
each AWS call recorded under the function that made it.

- the API (`app`) through chalice.test.Client, a request on every route of the route table,
  with API Gateway calling the token authorizer (`token_authorizer`) as its own function;
- `record_ecr_push` on an ECR push event and `reconcile_ecr_pushes` on its schedule, each
  pushing to a repository no stream has yet;
- `reimport_scheduled_tags` on its schedule, with tags, a repository and a deleted
  stream's entry due, against a registry that asks for the namespace's credentials;
- `prune_images` on the optional pruning schedule, the event delivered twice;
- `publish_tag_changes` on the table's stream, read as the event source mapping reads it
  (with the function's role, through the template's filter) and delivered twice: among
  its records a real image prune run with pruneRegistry, whose steps it takes (run_prune).

Each function sees the environment the template gives it (tests/iam/deployment.py), with
the ECR repository policy parameters set (TEST_PARAMETERS); the one addition is
IMPORT_ALLOW_LIST, since the test registry listens on loopback. Calls the
Lambda service makes with a function's role (log delivery, the stream reads, the failure
destination, trace segments) are added as such (`lambda_service_calls`).
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from chalice.local import LambdaContext
from chalice.test import Client
from moto import mock_aws

import app as app_module
from chalicelib import console
from chalicelib.adapters import dynamodb_cleanup as cleanup
from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.dynamodb_store import DynamoStore
from chalicelib.api.catalogue import DISCOVERY
from chalicelib.api.routes import ROUTES
from chalicelib.first_admin import bootstrap_admin, table_access
from local.stream_reader import StreamReader, lambda_records
from testbed.dynamodb import create_table, table_properties
from testbed.network_guard import stay_on_this_machine
from tests.pushes.conftest import BlobServer
from tests.registry.scripted import Canned, ScriptedServer, Seen

from . import deployment
from .aws_requests import KeySchemas, RecordedCall
from .cloudformation import StackFacts
from .recording import CallRecorder, LambdaEnvironments

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
STACK = "imagestreams"
API = "app"
AUTHORIZER = "token_authorizer"
PUBLISHER = "publish_tag_changes"
EVENT_SOURCE = "the event source mapping"  # the Lambda service, with the function's role
# A Lambda function has no AWS config or credentials files; neither have the tests.
NO_AWS_FILES = {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
# The test registry listens on loopback, which imports refuse unless allowed.
TEST_VARIABLES = {"IMPORT_ALLOW_LIST": "127.0.0.0/8"}
# Parameters given values other than their defaults: principals of namespace shop, so each
# function creating a repository of shop's also sets its repository policy.
TEST_PARAMETERS = {"EcrRepositoryPushers": "shop/=arn:aws:iam::111122223333:role/ci",
                   "EcrRepositoryPullers": "shop/=444455556666"}
V1 = "/apis/image.openshift.io/v1"
RBAC = "/apis/rbac.authorization.k8s.io/v1"
TOKENS = "/apis/imagestreams.dev/v1"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
EVENTS = Path(__file__).resolve().parents[1] / "events"
MAX_STREAM_READS = 200  # the consumer's own writes brought back; a prune run takes dozens


@dataclass
class Recording:
    """What the scenarios leave for the tests: every call, and what they ran against."""

    calls: list[RecordedCall]
    facts: StackFacts
    keys: KeySchemas
    requested_routes: set[tuple[str, str]] = field(default_factory=set)


# -- the stack on moto -----------------------------------------------------------------------

def _client(service: str) -> Any:
    """A client of the test itself (a deployer, a developer pushing): never recorded."""
    return boto3.client(service, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _stack_facts() -> StackFacts:
    """The template's resources created in moto, and what each Ref and GetAtt resolves to."""
    dynamodb, sns, sqs = _client("dynamodb"), _client("sns"), _client("sqs")
    table = f"{STACK}-ImageStreamsTable-IAMTEST"
    create_table(dynamodb, table)
    described = dynamodb.describe_table(TableName=table)["Table"]
    topic = sns.create_topic(Name=f"{STACK}-TagEventsTopic-IAMTEST")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"{STACK}-StreamDeadLetterQueue-IAMTEST")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    template = deployment.template()
    bare = StackFacts(REGION, ACCOUNT, STACK,
                      parameters={**deployment.parameter_defaults(), **TEST_PARAMETERS},
                      conditions=template.get("Conditions", {}))
    webhook_secret = _client("secretsmanager").create_secret(
        Name=f"{STACK}-WebhookSharedSecret-IAMTEST", SecretString="webhook-shared-secret")["ARN"]
    refs = {"ImageStreamsTable": table, "TagEventsTopic": topic, "StreamDeadLetterQueue": queue,
            "WebhookSharedSecret": webhook_secret}
    attributes = {("ImageStreamsTable", "Arn"): described["TableArn"],
                  ("ImageStreamsTable", "StreamArn"): described["LatestStreamArn"],
                  ("StreamDeadLetterQueue", "Arn"): queue_arn}
    for function, group in deployment.log_groups(bare).items():
        logs = f"{deployment.logical_id(function)}Logs"
        refs[logs] = group
        attributes[(logs, "Arn")] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*"
    return StackFacts(REGION, ACCOUNT, STACK, parameters=bare.parameters, refs=refs,
                      attributes=attributes, conditions=bare.conditions)


def _key_schemas(facts: StackFacts) -> KeySchemas:
    table = facts.ref("ImageStreamsTable")
    properties = table_properties()

    def hash_key(schema: list[dict[str, str]]) -> str:
        return next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")

    # The template encrypts the topic with the AWS managed key alias/aws/sns: a key of the
    # account whose id only AWS knows, stood in for here.
    topic = deployment.template()["Resources"]["TagEventsTopic"].get("Properties", {})
    topic_keys = ({facts.ref("TagEventsTopic"): f"arn:aws:kms:{REGION}:{ACCOUNT}:key/"
                   "0b1c2d3e-aws-managed-sns-key"} if topic.get("KmsMasterKeyId") else {})
    return KeySchemas({table: hash_key(properties["KeySchema"])},
                      {(table, index["IndexName"]): hash_key(index["KeySchema"])
                       for index in properties.get("GlobalSecondaryIndexes", [])},
                      topic_keys)


def _variables(facts: StackFacts) -> Callable[[str], dict[str, str]]:
    runtime = {"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
               "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_SESSION_TOKEN": "testing", **NO_AWS_FILES}
    return lambda function: {**runtime, "AWS_LAMBDA_FUNCTION_NAME": function,
                             **deployment.environment(function, facts), **TEST_VARIABLES}


# -- registries --------------------------------------------------------------------------------

def _sha(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _image(label: str) -> tuple[bytes, bytes]:
    """A Docker schema 2 manifest and its config blob."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "created":
                         "2026-11-01T10:00:00Z", "config": {"Cmd": [f"/bin/{label}"]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "size": len(config), "digest": _sha(config)},
        "layers": [{"mediaType": DOCKER_LAYER, "size": 1000,
                    "digest": _sha(f"layer {label}".encode())}]}).encode()
    return manifest, config


class PrivateRegistry:
    """A registry on loopback serving `team/app`, answering only with basic credentials:
    every import from it reads the namespace's registry secrets."""

    REPOSITORY = "team/app"
    USER, PASSWORD = "puller", "pull-secret"

    def __init__(self) -> None:
        self.tags: dict[str, bytes] = {}
        self.blobs: dict[str, bytes] = {}
        expected = "Basic " + base64.b64encode(f"{self.USER}:{self.PASSWORD}".encode()).decode()

        def serve(seen: Seen) -> Canned:
            if seen.headers.get("Authorization") != expected:
                return Canned(401, {"WWW-Authenticate": 'Basic realm="test"'})
            path = seen.path.split("?", 1)[0]
            kind, _, ref = path.removeprefix(f"/v2/{self.REPOSITORY}/").partition("/")
            if kind == "tags" and ref == "list":
                return Canned(200, {"Content-Type": "application/json"}, json.dumps(
                    {"name": self.REPOSITORY, "tags": sorted(self.tags)}).encode())
            manifests = {**self.tags, **{_sha(m): m for m in self.tags.values()}}
            if kind == "manifests" and ref in manifests:
                body = manifests[ref]
                return Canned(200, {"Content-Type": DOCKER_MANIFEST,
                                    "Docker-Content-Digest": _sha(body)}, body)
            if kind == "blobs" and ref in self.blobs:
                return Canned(200, {"Content-Type": "application/octet-stream"}, self.blobs[ref])
            return Canned(404, body=b'{"errors":[]}')

        self.server = ScriptedServer(_AnyPath(serve))
        self.host = self.server.host

    def tag(self, tag: str, label: str) -> str:
        manifest, config = _image(label)
        self.tags[tag] = manifest
        self.blobs[_sha(config)] = config
        return _sha(manifest)

    def docker_config(self) -> str:
        auth = base64.b64encode(f"{self.USER}:{self.PASSWORD}".encode()).decode()
        return json.dumps({"auths": {self.host: {"auth": auth}}})


class _AnyPath(dict):
    """ScriptedServer routes by "METHOD /path"; this answers every one with `serve`."""

    def __init__(self, serve: Callable[[Seen], Canned]):
        super().__init__()
        self._serve = serve

    def get(self, key: str, default: Any = None) -> Callable[[Seen], Canned]:
        return self._serve


# -- the API -----------------------------------------------------------------------------------

def _route_pattern(path: str) -> re.Pattern[str]:
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part)
                              for part in re.split(r"(\{[^}]+\})", path)) + r"\Z")


_ROUTE_PATTERNS = [(path, _route_pattern(path)) for path in ROUTES]


def route_of(path: str) -> str:
    """The route-table path a request path is served by (the most literal one wins, as
    API Gateway prefers literal segments)."""
    path = path.split("?", 1)[0]
    matches = [route for route, pattern in _ROUTE_PATTERNS if pattern.match(path)]
    if not matches:
        raise AssertionError(f"no route serves {path}")
    return max(matches, key=lambda route: (-route.count("{"), len(route)))


class Api:
    """Requests to the API function as API Gateway sends them, checked for their status."""

    def __init__(self, client: Client, environments: LambdaEnvironments, token: str):
        self.client = client
        self.environments = environments
        self.token = token
        self.requested: set[tuple[str, str]] = set()

    def __call__(self, method: str, path: str, body: Any = None,
                 expect: int | tuple[int, ...] = 200,
                 token: str | None = "", content_type: str = "application/json") -> Any:
        """One request; `token` "" sends the admin's, None no Authorization header. Returns
        the JSON answer (None for another body)."""
        headers = {"content-type": content_type} if body is not None else {}
        token = self.token if token == "" else token
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        with self.environments.running(API):
            response = self.client.http.request(
                method, path, headers=headers,
                body=json.dumps(body).encode() if body is not None else None)
        self.requested.add((route_of(path), method))
        if response.status_code not in (expect if isinstance(expect, tuple) else (expect,)):
            raise AssertionError(f"{method} {path}: {response.status_code}, expected {expect}: "
                                 f"{response.body[:600]!r}")
        try:
            return json.loads(response.body) if response.body else None
        except ValueError:
            return None  # a document that is not JSON (protobuf, YAML)


@contextmanager
def _authorizer_as_its_own_function(environments: LambdaEnvironments) -> Iterator[None]:
    """API Gateway invokes the authorizer, a function of its own, before the API function."""
    authorizer = app_module.token_authorizer
    original = authorizer.func

    def invoke(request: Any) -> Any:
        with environments.running(AUTHORIZER):
            return original(request)

    authorizer.func = invoke
    try:
        yield
    finally:
        authorizer.func = original


def _binding(kind: str, name: str, role: str, subject: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": {"name": name}, "subjects": [subject],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": role}}


def _stream(name: str, **spec: Any) -> dict[str, Any]:
    metadata = {"name": name, **spec.pop("metadata", {})}
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
            "metadata": metadata, "spec": spec}


def _istag(kind: str, name: str) -> dict[str, Any]:
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
            "tag": {"from": {"kind": kind, "name": name}}}


def run_api(api: Api, registry: PrivateRegistry, queue_arn: str, webhook_secret: str) -> None:
    """A request on every route, each write answered as it succeeds (so its code ran)."""
    shop, team = f"{V1}/namespaces/shop", f"{V1}/namespaces/team"
    digest = "sha256:" + "a" * 64
    for path, methods in ROUTES.items():  # discovery, version, health, OpenAPI documents
        if "GET" in methods and methods["GET"].resource == DISCOVERY and "{" not in path:
            api("GET", path, token=None)
    api("GET", "/" + console.asset_path("app.js"), token=None)  # the console's, open too
    # The integrated registry's token endpoint: ECR authenticates with IAM, so in AWS it has
    # no signing key and answers 404, calling nothing.
    api("GET", "/registry/token?service=imagestreams-registry", expect=404, token=None)
    # The registry's notifications: the shared secret is read (once) to check a token.
    api("POST", "/webhooks/registry", {"events": []}, expect=401, token=None)
    api("POST", "/webhooks/registry", {"events": []}, expect=401, token="not-the-secret")
    api("POST", "/webhooks/registry", {"events": []}, token=webhook_secret)

    # Streams, tags, images: the table, and ECR for each new stream's repository.
    api("POST", f"{shop}/imagestreams", _stream("web"), expect=201)
    api("GET", f"{shop}/imagestreams?limit=1&labelSelector=app%21%3Dnone")
    stream = api("GET", f"{shop}/imagestreams/web")
    stream["spec"]["tags"] = [{"name": "external", "reference": True, "from": {
        "kind": "DockerImage", "name": "docker.io/library/python:3.12"}}]
    api("PUT", f"{shop}/imagestreams/web", stream)
    api("PATCH", f"{shop}/imagestreams/web", {"metadata": {"labels": {"app": "web"}}},
        content_type="application/merge-patch+json")
    api("POST", f"{shop}/imagestreammappings", {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
        "metadata": {"name": "web"}, "tag": "v1",
        "image": {"metadata": {"name": digest},
                  "dockerImageReference": f"registry.example.test/shop/web@{digest}"}},
        expect=201)
    api("PUT", f"{shop}/imagestreamtags/web:latest", _istag("ImageStreamImage", f"web@{digest}"),
        expect=201)
    api("POST", f"{shop}/imagestreamtags/web:stable", _istag("ImageStreamTag", "web:v1"),
        expect=201)
    api("POST", f"{shop}/imagestreamtags", {**_istag("ImageStreamTag", "web:v1"),
                                            "metadata": {"name": "web:beta"}}, expect=201)
    api("PATCH", f"{shop}/imagestreamtags/web:stable",
        {"metadata": {"annotations": {"owner": "ops"}}},
        content_type="application/merge-patch+json")
    api("GET", f"{shop}/imagestreamtags")
    api("GET", f"{shop}/imagestreamtags/web:latest")
    api("GET", f"{shop}/imagestreamtags/web:latest/history?limit=1")
    api("GET", f"{shop}/imagestreamimages/web@{digest[:20]}")
    api("GET", f"{V1}/images")
    api("GET", f"{V1}/images/{digest}")
    api("GET", f"{V1}/imagestreams?limit=1")
    api("GET", f"{V1}/imagestreamtags?limit=1")
    # A watch reads the namespace's change log where watches are served (a 400 where not).
    api("GET", f"{shop}/imagestreams?watch=true&timeoutSeconds=1", expect=(200, 400))
    api("DELETE", f"{shop}/imagestreamtags/web:beta")

    # Triggers: SNS subscriptions.
    trigger = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTrigger",
               "metadata": {"name": "build"},
               "spec": {"endpoint": {"protocol": "sqs", "endpoint": queue_arn}}}
    api("POST", f"{shop}/imagestreams/web/triggers", trigger, expect=201)
    api("GET", f"{shop}/imagestreams/web/triggers")
    api("GET", f"{shop}/imagestreams/web/triggers/build")
    api("DELETE", f"{shop}/imagestreams/web/triggers/build")

    # Registry secrets (Secrets Manager), then imports that need them.
    secrets = "/api/v1/namespaces/team/secrets"
    for name in ("pull", "old"):
        api("POST", secrets, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
                              "type": "kubernetes.io/dockerconfigjson",
                              "stringData": {".dockerconfigjson": registry.docker_config()}},
            expect=201)
    api("GET", secrets)
    api("GET", f"{secrets}/pull")
    api("DELETE", f"{secrets}/old")
    source = f"{registry.host}/{registry.REPOSITORY}"
    insecure = {"openshift.io/image.insecureRepository": "true"}
    api("POST", f"{team}/imagestreams", _stream("app", tags=[{
        "name": "1.0", "from": {"kind": "DockerImage", "name": f"{source}:1.0"},
        "importPolicy": {"scheduled": True, "insecure": True}}]), expect=201)
    for name in ("mirror", "gone"):
        api("POST", f"{team}/imagestreams", _stream(
            name, dockerImageRepository=source, metadata={"annotations": insecure}),
            expect=201)
    api("DELETE", f"{team}/imagestreams/gone")
    api("POST", f"{team}/imagestreamimports", {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport",
        "metadata": {"name": "app"}, "spec": {"import": True, "images": [{
            "from": {"kind": "DockerImage", "name": f"{source}:1.0"}, "to": {"name": "copy"},
            "importPolicy": {"insecure": True}}]}}, expect=201)

    # Access: role bindings, tokens, and requests of a user who is no admin.
    user = {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "viewer"}
    api("POST", f"{RBAC}/namespaces/shop/rolebindings",
        _binding("RoleBinding", "viewers", "view", user), expect=201)
    api("GET", f"{RBAC}/namespaces/shop/rolebindings")
    api("GET", f"{RBAC}/namespaces/shop/rolebindings/viewers")
    api("POST", f"{RBAC}/clusterrolebindings",
        _binding("ClusterRoleBinding", "auditors", "cluster-reader", {**user, "name": "audit"}),
        expect=201)
    api("GET", f"{RBAC}/clusterrolebindings")
    api("GET", f"{RBAC}/clusterrolebindings/auditors")
    api("DELETE", f"{RBAC}/clusterrolebindings/auditors")
    viewer = api("POST", f"{TOKENS}/accesstokens", {
        "apiVersion": "imagestreams.dev/v1", "kind": "AccessToken",
        "spec": {"subject": "viewer"}}, expect=201)
    api("GET", f"{TOKENS}/accesstokens")
    robot = api("POST", f"{TOKENS}/namespaces/ci/accesstokens", {
        "apiVersion": "imagestreams.dev/v1", "kind": "AccessToken",
        "spec": {"subject": "system:serviceaccount:ci:builder"}}, expect=201)
    api("GET", f"{TOKENS}/namespaces/ci/accesstokens")
    api("DELETE", f"{TOKENS}/namespaces/ci/accesstokens/{robot['metadata']['name']}")
    viewer_token = viewer["status"]["token"]
    api("GET", f"{shop}/imagestreams/web", token=viewer_token)
    api("POST", f"{shop}/imagestreams", _stream("denied"), expect=403, token=viewer_token)
    api("GET", "/apis/user.openshift.io/v1/users/~", token=viewer_token)
    api("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"namespace": "shop", "verb": "get",
                                        "group": "image.openshift.io",
                                        "resource": "imagestreams"}}},
        expect=201, token=viewer_token)
    api("GET", f"{shop}/imagestreams", expect=401, token="isk_not-a-token")
    api("GET", f"{shop}/imagestreams", expect=401, token=None)
    api("DELETE", f"{RBAC}/namespaces/shop/rolebindings/viewers")
    api("DELETE", f"{TOKENS}/accesstokens/{viewer['metadata']['name']}")
    api("DELETE", f"{shop}/imagestreams/web")


# -- the other functions ---------------------------------------------------------------------

def _context(function: str) -> LambdaContext:
    """The Lambda context with the function's timeout from .chalice/config.json."""
    seconds = deployment.lambda_timeout(function)
    return LambdaContext(function, memory_size=512, max_runtime_ms=seconds * 1000)


def invoke(environments: LambdaEnvironments, function: str, event: dict[str, Any]) -> Any:
    """The function's handler, as Lambda calls it, in the function's own environment."""
    with environments.running(function):
        return app_module.app.handler_map[function](copy.deepcopy(event), _context(function))


def _scheduled_event(rule: str) -> dict[str, Any]:
    return {"version": "0", "id": f"{rule}-1", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": ACCOUNT, "time": "2026-11-16T02:00:00Z",
            "region": REGION, "detail": {},
            "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}"]}


def run_ecr_pushes(environments: LambdaEnvironments, blobs: BlobServer, table: str) -> None:
    """Pushes to repositories whose streams do not exist yet: one announced by ECR's event,
    one only the reconcile pass finds. Each stream's name was used before, by a stream whose
    deletion did not finish clearing its partition, so creating it clears what was left."""
    ecr, dynamodb = _client("ecr"), _client("dynamodb")  # the developer's docker push

    def push(repository: str, tag: str, label: str) -> str:
        namespace, name = repository.split("/")
        dynamodb.put_item(TableName=table, Item=items.key(items.stream_pk(namespace, name),
                                                          items.tag_sk("left-behind")))
        ecr.create_repository(repositoryName=repository)
        manifest, config = _image(label)
        blobs.blobs[_sha(config)] = config
        ecr.put_image(repositoryName=repository, imageManifest=manifest.decode(),
                      imageManifestMediaType=DOCKER_MANIFEST, imageTag=tag,
                      imageDigest=_sha(manifest))
        return _sha(manifest)

    digest = push("shop/api", "v1", "api")
    event = json.loads((EVENTS / "ecr_image_push.json").read_text(encoding="utf-8"))
    event["detail"].update({"repository-name": "shop/api", "image-tag": "v1",
                            "image-digest": digest})
    assert invoke(environments, "record_ecr_push", event) == "moved"
    assert invoke(environments, "record_ecr_push", event) == "unchanged"  # delivered twice
    push("shop/batch", "nightly", "batch")
    assert invoke(environments, "reconcile_ecr_pushes",
                  _scheduled_event("reconcile_ecr_pushes")) == {"moved": 1}


def run_prune(api: Api) -> None:
    """A real prune run with pruneRegistry, created through the API over what the pushes
    left in shop/api: a tag moved from one mapped image to another (its older event and
    Image item go), a tag on an image index pushed with its manifest (the run reads the
    index's manifests, which stay), and an old image no stream names (deleted). Its steps
    are the table stream consumer's (run_stream_consumer)."""
    ecr = _client("ecr")

    def pushed(manifest: bytes, media_type: str) -> str:
        ecr.put_image(repositoryName="shop/api", imageManifest=manifest.decode(),
                      imageManifestMediaType=media_type, imageDigest=_sha(manifest))
        return _sha(manifest)

    def mapped(tag: str, digest: str) -> None:
        api("POST", f"{V1}/namespaces/shop/imagestreammappings", {
            "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
            "metadata": {"name": "api"}, "tag": tag, "image": {
                "metadata": {"name": digest},
                "dockerImageReference": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/shop/api"
                                        f"@{digest}"}}, expect=201)

    child = pushed(_image("api-arm64")[0], DOCKER_MANIFEST)
    index = json.dumps({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [
        {"mediaType": DOCKER_MANIFEST, "digest": child, "size": 500,
         "platform": {"architecture": "arm64", "os": "linux"}}]}).encode()
    mapped("multi", pushed(index, DOCKER_LIST))
    pushed(_image("api-loose")[0], DOCKER_MANIFEST)
    for digest in ("sha256:" + "b" * 64, "sha256:" + "c" * 64):
        mapped("moved", digest)
    time.sleep(1.1)  # all of it older than the run, by a second at least (keepYoungerThan 0s)
    run = api("POST", f"{TOKENS}/imagepruneruns", {
        "apiVersion": "imagestreams.dev/v1", "kind": "ImagePruneRun", "metadata": {},
        "spec": {"keepTagRevisions": 1, "keepYoungerThan": "0s", "dryRun": False,
                 "pruneRegistry": True}}, expect=201)
    api("GET", f"{TOKENS}/imagepruneruns")
    api("GET", f"{TOKENS}/imagepruneruns/{run['metadata']['name']}")


def run_scheduled_imports(environments: LambdaEnvironments, registry: PrivateRegistry,
                          store: DynamoStore) -> None:
    """A cycle with a moved tag, a repository to list and a deleted stream's entry due."""
    registry.tag("1.0", "app-v2")  # the source moved since the streams imported it
    past = datetime.now(UTC) - timedelta(minutes=1)
    tag = store.get_tag("team", "app", "1.0")
    assert tag is not None and store.reschedule("team", "app", tag, past)
    for name in ("mirror", "gone"):
        assert store.reschedule_repository("team", name, None, past)
    report = invoke(environments, "reimport_scheduled_tags",
                    _scheduled_event("reimport_scheduled_tags"))
    assert report["deferred"] == 0 and report["due"] >= 1, report


def run_scheduled_prune(environments: LambdaEnvironments) -> None:
    """The pruning schedule's event, delivered twice (an EventBridge retry): it starts one
    run, whose steps the table stream's consumer takes."""
    event = _scheduled_event("prune_images")
    name = invoke(environments, "prune_images", event)
    assert name.startswith("scheduled-"), name
    assert invoke(environments, "prune_images", event) == name


def _event_filters() -> list[dict[str, Any]]:
    """The patterns of the stream event source's FilterCriteria (infra/functions.json)."""
    resource = deployment.template()["Resources"][deployment.logical_id(PUBLISHER)]
    for source in resource["Properties"]["Events"].values():
        criteria = source.get("Properties", {}).get("FilterCriteria")
        if criteria is not None:
            return [json.loads(f["Pattern"]) for f in criteria["Filters"]]
    return []


def event_matches(pattern: Any, value: Any) -> bool:
    """Lambda's event filtering, for the pattern forms the template uses: nested fields,
    lists of alternatives, exact values, `prefix` and `exists`."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            event_matches(inner, value.get(key, _MISSING)) for key, inner in pattern.items())
    if not isinstance(pattern, list):
        raise AssertionError(f"an event filter pattern not modelled: {pattern!r}")
    for alternative in pattern:
        if isinstance(alternative, dict):
            (operator, operand), = alternative.items()
            if operator == "prefix":
                hit = isinstance(value, str) and value.startswith(operand)
            elif operator == "exists":
                hit = (value is not _MISSING) == operand
            else:
                raise AssertionError(f"an event filter operator not modelled: {operator}")
        else:
            hit = value == alternative
        if hit:
            return True
    return False


_MISSING = object()


def run_stream_consumer(environments: LambdaEnvironments, recorder: CallRecorder,
                        facts: StackFacts) -> int:
    """Every record of the table's stream through `publish_tag_changes`, as the event
    source mapping delivers them (filtered, in batches), then all of them again; then the
    records those deliveries wrote (cleanup marks rewritten, prune runs' steps saved), the
    same way, until none is left."""
    stream_arn = facts.get_att("ImageStreamsTable", "StreamArn")
    streams = environments.session().create_client("dynamodbstreams", region_name=REGION)
    reader = StreamReader(_client("dynamodb"), streams, facts.ref("ImageStreamsTable"))
    filters = _event_filters()
    # Steps of one item each, so the deletes' cleanup takes more than one step and rewrites
    # its mark, as a delete of a long history does.
    bounds = (cleanup.STEP_TRANSACTIONS, cleanup.HISTORY_BATCH, cleanup.CLEAR_BATCH)
    cleanup.STEP_TRANSACTIONS = cleanup.HISTORY_BATCH = cleanup.CLEAR_BATCH = 1
    total = 0
    try:
        for _ in range(MAX_STREAM_READS):
            with recorder.acting_as(PUBLISHER, made_by=EVENT_SOURCE):
                records = lambda_records(reader.read(limit=1000), stream_arn, REGION)
            delivered = [r for r in records
                         if not filters or any(event_matches(f, r) for f in filters)]
            assert delivered or total, "the scenarios wrote no record the stream consumer receives"
            if not delivered:
                return total
            for _ in range(2):  # Lambda delivers at least once: the second time does nothing
                for start in range(0, len(delivered), 1000):
                    answer = invoke(environments, PUBLISHER,
                                    {"Records": delivered[start:start + 1000]})
                    assert answer == {"batchItemFailures": []}, answer
            total += len(delivered)
    finally:
        cleanup.STEP_TRANSACTIONS, cleanup.HISTORY_BATCH, cleanup.CLEAR_BATCH = bounds
    raise AssertionError(f"the stream consumer's records still came after {MAX_STREAM_READS} "
                         "reads")


def lambda_service_calls(facts: StackFacts) -> list[RecordedCall]:
    """Calls the Lambda service makes with a function's role, which no code here makes:
    - the runtime writes the function's logs to its log group (CreateLogStream,
      PutLogEvents; the group exists in the template);
    - the DynamoDB event source mapping lists the table's streams (Lambda Developer Guide,
      "Execution role permissions" for DynamoDB: DescribeStream, GetRecords,
      GetShardIterator and ListStreams; the first three are recorded as it reads);
    - a batch that keeps failing goes to the on-failure destination, the dead-letter queue
      (sqs:SendMessage, by the event source mapping with the function's role);
    - with active tracing (.chalice/config.json `xray`), the runtime sends the segments it
      records of each invocation to X-Ray (PutTraceSegments, PutTelemetryRecords: the
      Lambda Developer Guide, "Using AWS Lambda with AWS X-Ray", execution role)."""
    calls = []
    for function, group in deployment.log_groups(facts).items():
        stream = {"logGroupName": group, "logStreamName": "2026/11/16/[$LATEST]0123456789abcdef"}
        calls += [RecordedCall(function, "logs", op, stream, REGION, made_by="the runtime")
                  for op in ("CreateLogStream", "PutLogEvents")]
        if deployment.traced(function):
            calls += [RecordedCall(function, "xray", op, {}, REGION, made_by="the runtime")
                      for op in ("PutTraceSegments", "PutTelemetryRecords")]
    calls.append(RecordedCall(PUBLISHER, "dynamodbstreams", "ListStreams",
                              {"TableName": facts.ref("ImageStreamsTable")}, REGION,
                              made_by=EVENT_SOURCE))
    calls.append(RecordedCall(PUBLISHER, "sqs", "SendMessage",
                              {"QueueUrl": facts.ref("StreamDeadLetterQueue"),
                               "MessageBody": "{}"}, REGION, made_by=EVENT_SOURCE))
    return calls


# -- all of it -------------------------------------------------------------------------------

def _stub_layer_downloads(blobs: BlobServer) -> Callable[[botocore.session.Session], None]:
    """moto has no GetDownloadUrlForLayer: answer it with a URL of the blob server, after
    the recorder saw the call (provide-client-params comes before before-call)."""
    def answer(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        digest = json.loads(params["body"])["layerDigest"]  # the serialized request
        return (AWSResponse("https://ecr.test/", 200, {}, None),
                {"downloadUrl": blobs.url(digest), "layerDigest": digest})

    def setup(session: botocore.session.Session) -> None:
        session.register("before-call.ecr.GetDownloadUrlForLayer", answer)
    return setup


def record_every_function() -> Recording:
    """Run every scenario on a fresh moto and return what was called, by whom."""
    with ExitStack() as stack:
        environment = stack.enter_context(pytest.MonkeyPatch.context())
        stay_on_this_machine(environment)
        # Nothing of the shell's AWS settings (an endpoint, a profile) may reach a client.
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            environment.delenv(name)
        for name, value in NO_AWS_FILES.items():
            environment.setenv(name, value)
        stack.enter_context(mock_aws())
        blobs = BlobServer()
        stack.callback(blobs.server.shutdown)
        registry = stack.enter_context(_registry())
        facts = _stack_facts()
        recorder = CallRecorder()
        environments = LambdaEnvironments(recorder, _variables(facts),
                                          _stub_layer_downloads(blobs))
        table = facts.ref("ImageStreamsTable")
        # The first admin, made with the deployer's credentials (python -m chalicelib.first_admin).
        admin = bootstrap_admin(table_access(_client("dynamodb"), table))
        queue = _client("sqs").create_queue(QueueName="build-triggers")["QueueUrl"]
        queue_arn = _client("sqs").get_queue_attributes(
            QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        stack.enter_context(_authorizer_as_its_own_function(environments))
        client = stack.enter_context(Client(app_module.app, project_dir=str(deployment.REPO)))
        api = Api(client, environments, admin)
        webhook_secret = _client("secretsmanager").get_secret_value(
            SecretId=facts.ref("WebhookSharedSecret"))["SecretString"]
        run_api(api, registry, queue_arn, webhook_secret)
        run_ecr_pushes(environments, blobs, table)
        run_prune(api)
        run_scheduled_imports(environments, registry, DynamoStore(_client("dynamodb"), table))
        run_scheduled_prune(environments)
        run_stream_consumer(environments, recorder, facts)
        for call in lambda_service_calls(facts):
            recorder.add(call)
        return Recording(list(recorder.calls), facts, _key_schemas(facts), api.requested)


@contextmanager
def _registry() -> Iterator[PrivateRegistry]:
    registry = PrivateRegistry()
    registry.tag("1.0", "app-v1")
    try:
        yield registry
    finally:
        registry.server.close()
