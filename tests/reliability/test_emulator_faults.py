"""The AWS emulator unreachable in the middle of API requests.

A real moto server runs in its own process; the app, driven in-process through
chalice.test.Client and wired from the environment as in Lambda (AWS_ENDPOINT_URL, the
wiring's botocore timeouts and retries), reaches it through a relay that cuts the way at a
chosen request: before it reaches the emulator ("never reached") or after the emulator
has done it but before its answer gets back ("reply lost"). Every such request must be
answered with a 503 Status that names no endpoint, and once the emulator is reachable
again the table must hold either nothing of the write or all of it; asking again must
succeed, or say truthfully that it already happened.
"""
from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.api.access import UNVERIFIED, authenticate, authorize
from chalicelib.api.route import Call
from chalicelib.api.routes import NAMESPACED, ROUTES
from chalicelib.domain.errors import ServiceUnavailable, Unauthorized
from testbed.auth import ADMIN, admin_headers
from testbed.dynamodb import REGION, create_table
from testbed.fault_proxy import FaultProxy
from testbed.moto_server import moto_server
from tests.api.conftest import REGISTRY, Api, digest, istag, mapping, ns_path

NAMESPACE = "default"
TRANSACTION = "DynamoDB_20120810.TransactWriteItems"
WRITE_OPERATIONS = {"TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"}
CREDENTIALS = {"aws_access_key_id": "testing-key-id", "aws_secret_access_key": "testing-secret"}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("emulator") / "moto.log") as url:
        yield url


@pytest.fixture(scope="module")
def proxy(emulator: str) -> Iterator[FaultProxy]:
    with FaultProxy(int(emulator.rsplit(":", 1)[1])) as relay:
        yield relay


def direct(emulator: str, service: str) -> Any:
    """A client of the emulator that bypasses the relay, for setting up and looking."""
    return boto3.client(service, endpoint_url=emulator, region_name=REGION, **CREDENTIALS)


@dataclass
class World:
    """The app wired to one table through the relay, and direct clients for looking."""

    api: Api
    proxy: FaultProxy
    dynamodb: Any
    sns: Any
    sqs: Any
    table: str
    topic_arn: str
    services: wiring.Services
    headers: dict[str, str]

    def items(self) -> list[dict[str, Any]]:
        """The whole table, in key order (a Scan, straight from the emulator)."""
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=self.table,
                                                             ConsistentRead=True)
        found = [item for page in pages for item in page["Items"]]
        return sorted(found, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))

    def queue(self, name: str) -> str:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]

    def subscriptions(self, endpoint: str) -> list[str]:
        """The ARNs of the topic's subscriptions of `endpoint`."""
        listed = self.sns.list_subscriptions_by_topic(TopicArn=self.topic_arn)
        return [s["SubscriptionArn"] for s in listed["Subscriptions"]
                if s["Endpoint"] == endpoint]


@pytest.fixture(scope="module")
def shared_world(emulator: str, proxy: FaultProxy,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One table for the module's tests (each test writes names of its own) holding
    stream `web` with tag `latest`, stream `cfg` for patches (a patch rewrites every spec
    tag, and `web` gathers many), and a cluster admin; the app is wired to it through
    the relay by the environment alone, as in Lambda."""
    table = f"faults-{uuid.uuid4().hex[:8]}"
    dynamodb, sns, sqs = (direct(emulator, name) for name in ("dynamodb", "sns", "sqs"))
    create_table(dynamodb, table, stream=False)
    topic_arn = sns.create_topic(Name=f"{table}-changes")["TopicArn"]
    absent = str(tmp_path_factory.mktemp("aws") / "absent")
    with pytest.MonkeyPatch.context() as env:
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            env.delenv(name)
        env.setenv("AWS_CONFIG_FILE", absent)  # no profile may point elsewhere
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", absent)
        env.setenv("AWS_ENDPOINT_URL", proxy.url)
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
        env.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
        # One attempt per call: botocore's retry would only wait for a way that stays down.
        env.setenv("AWS_MAX_ATTEMPTS", "1")
        env.setenv("TABLE_NAME", table)
        env.setenv("TOPIC_ARN", topic_arn)
        env.setenv("INTEGRATED_REGISTRY", REGISTRY)
        env.delenv("IMAGESTREAMS_STORE", raising=False)
        wiring.use(None)
        services = wiring.services()
        try:
            headers = admin_headers(services)
            with Client(app) as client:
                api = Api(client, headers)
                assert api.post(ns_path("imagestreams"), {
                    "kind": "ImageStream", "metadata": {"name": "web"}}).status_code == 201
                assert api.post(ns_path("imagestreammappings"),
                                mapping("web", "latest", digest("a"))).status_code == 201
                assert api.post(ns_path("imagestreams"), {
                    "kind": "ImageStream", "metadata": {"name": "cfg"}}).status_code == 201
                yield World(api, proxy, dynamodb, sns, sqs, table, topic_arn, services,
                            headers)
        finally:
            wiring.use(None)
            dynamodb.delete_table(TableName=table)


@pytest.fixture
def world(shared_world: World) -> Iterator[World]:
    """The shared world, with the relay restored and the wiring reinstalled after."""
    yield shared_world
    shared_world.proxy.restore()
    wiring.use(shared_world.services)


def assert_unavailable(reply: Any, proxy: FaultProxy) -> None:
    """A Kubernetes 503 Status that names neither the endpoint nor the credentials."""
    assert reply.status_code == 503, reply.data
    body = reply.data
    assert body["kind"] == "Status" and body["apiVersion"] == "v1"
    assert body["status"] == "Failure" and body["reason"] == "ServiceUnavailable"
    assert body["code"] == 503
    assert "retry shortly" in body["message"]
    text = json.dumps(body)
    for secret in (proxy.url, "127.0.0.1", str(proxy.port), "http",
                   *CREDENTIALS.values()):
        assert secret not in text
    assert reply.headers["Retry-After"] == "1"


# -- the writes under test ------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """One write request; `key` makes each attempt's names its own, so the attempts of a
    sweep can share the table. `done` says, through the API, whether the write happened
    in full; `again` is the truthful answer to sending it once more after it did."""

    name: str
    send: Callable[[Api, str], Any]
    done: Callable[[Api, str], bool]
    ok: int
    again: int
    prepare: Callable[[Api, str], None] | None = None


def _create_stream(api: Api, key: str) -> Any:
    return api.post(ns_path("imagestreams"), {
        "kind": "ImageStream", "metadata": {"name": f"app{key}", "labels": {"team": "a"}},
        "spec": {"tags": [{"name": "prod", "from": {"kind": "ImageStreamTag",
                                                    "name": "web:latest"}}]}})


def _stream_created(api: Api, key: str) -> bool:
    reply = api.get(ns_path("imagestreams", f"app{key}"))
    if reply.status_code == 404:
        return False
    tags = {tag["tag"]: tag for tag in reply.data["status"].get("tags") or []}
    # The stream item and its tag item come from one transaction: both or neither.
    return ([tag["name"] for tag in reply.data["spec"]["tags"]] == ["prod"]
            and tags["prod"]["items"][0]["image"] == digest("a")
            and reply.data["metadata"]["labels"] == {"team": "a"})


def _tag_image(api: Api, tag: str) -> str | None:
    reply = api.get(ns_path("imagestreamtags", f"web:{tag}"))
    return reply.data["image"]["metadata"]["name"] if reply.status_code == 200 else None


def _prepare_tag(api: Api, key: str) -> None:
    assert api.post(ns_path("imagestreammappings"),
                    mapping("web", f"old{key}", digest("c"))).status_code == 201


def _patched(api: Api, key: str) -> bool:
    labels = api.get(ns_path("imagestreams", "cfg")).data["metadata"].get("labels") or {}
    return labels.get(f"k{key}") == "v"


WRITES = [
    Write("create stream", _create_stream, _stream_created, ok=201, again=409),
    Write("PUT istag",
          lambda api, key: api.put(ns_path("imagestreamtags", f"web:p{key}"),
                                   istag("ImageStreamTag", "web:latest")),
          lambda api, key: _tag_image(api, f"p{key}") == digest("a"), ok=201, again=200),
    Write("POST imagestreammapping",
          lambda api, key: api.post(ns_path("imagestreammappings"),
                                    mapping("web", f"m{key}", digest("b"))),
          lambda api, key: _tag_image(api, f"m{key}") == digest("b"), ok=201, again=201),
    Write("DELETE istag",
          lambda api, key: api.delete(ns_path("imagestreamtags", f"web:old{key}")),
          lambda api, key: _tag_image(api, f"old{key}") is None, ok=200, again=404,
          prepare=_prepare_tag),
    Write("PATCH stream",
          lambda api, key: api.patch(ns_path("imagestreams", "cfg"),
                                     {"metadata": {"labels": {f"k{key}": "v"}}}),
          _patched, ok=200, again=200),
]


def _without_images(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A mapping records its Image (content-addressed, cluster-wide) before it moves the
    tag, as OpenShift does: an Image no tag points at is not a half-done write."""
    return [item for item in items if not item["PK"]["S"].startswith("IMG#")]


def _check_cut(world: World, write: Write, key: str, before: list[dict[str, Any]]) -> None:
    """After a cut and the way back: nothing of the write, or all of it; then the answer to
    asking again is the truthful one, and afterwards the write is there."""
    after = world.items()
    if _without_images(after) == _without_images(before):
        assert not write.done(world.api, key)
        expected = write.ok
    else:
        assert write.done(world.api, key), f"{write.name}: the table changed, half-way"
        expected = write.again
    reply = write.send(world.api, key)
    assert reply.status_code == expected, reply.data
    assert write.done(world.api, key)


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.name)
def test_unreachable_from_the_start_is_a_503_and_changes_nothing(world: World,
                                                                  write: Write) -> None:
    if write.prepare:
        write.prepare(world.api, "s")
    before = world.items()
    world.proxy.go_down()
    assert_unavailable(write.send(world.api, "s"), world.proxy)
    world.proxy.restore()
    assert world.items() == before
    _check_cut(world, write, "s", before)


@pytest.mark.parametrize("forward", [False, True], ids=["never reached", "reply lost"])
@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.name)
def test_cut_at_the_transaction(world: World, write: Write, forward: bool) -> None:
    """The emulator goes away at the write itself, after the request's reads."""
    key = "tr" if forward else "tn"
    if write.prepare:
        write.prepare(world.api, key)
    before = world.items()
    world.proxy.cut_at(TRANSACTION, forward=forward)
    start = len(world.proxy.forwarded)
    assert_unavailable(write.send(world.api, key), world.proxy)
    assert world.proxy.tripped
    reached = world.proxy.forwarded[start:]
    assert len(reached) > 3  # the token, the role bindings and the stream were read first
    world.proxy.restore()
    if forward:
        assert reached[-1] == TRANSACTION
        assert write.done(world.api, key)  # all of it, by the checks below too
        assert world.items() != before
    else:
        assert TRANSACTION not in reached
        assert _without_images(world.items()) == _without_images(before)
    _check_cut(world, write, key, before)


def _authorization_requests(world: World) -> int:
    """How many requests authorizing a call takes (the token, the role bindings): those
    of a GET of a name no stream can have, which reads nothing else."""
    start = len(world.proxy.forwarded)
    assert world.api.get(ns_path("imagestreams", "No_Such")).status_code == 404
    return len(world.proxy.forwarded) - start


def _cut_each_request(world: World, write: Write, keys: str, first: int = 0,
                      last: int | None = None) -> None:
    """Cut before each request of `write` from `first` to `last`, and after each of its
    writes: a 503 Status every time, never half a write. Names start with `keys`."""
    if write.prepare:
        write.prepare(world.api, f"{keys}count")
    start = len(world.proxy.forwarded)
    assert write.send(world.api, f"{keys}count").status_code == write.ok
    operations = world.proxy.forwarded[start:][:last]
    # A lost reply to a read leaves the table as a read never made does: not run twice.
    cuts = [(index, False) for index in range(first, len(operations))] + [
        (index, True) for index, operation in enumerate(operations)
        if index >= first and operation.rsplit(".", 1)[-1] in WRITE_OPERATIONS]
    for index, forward in cuts:
        key = f"{keys}{index}{'r' if forward else 'n'}"
        if write.prepare:
            write.prepare(world.api, key)
        before = world.items()
        world.proxy.cut_after(index, forward=forward)
        start = len(world.proxy.forwarded)
        reply = write.send(world.api, key)
        assert world.proxy.tripped, (index, forward)
        committed = TRANSACTION in world.proxy.forwarded[start:]
        if reply.status_code != 503 and committed and operations[index] != TRANSACTION:
            # Only clean-up follows the commit, and losing it leaves unreachable
            # leftovers, not half a write: the write is answered as done.
            assert reply.status_code == write.ok, reply.data
        else:
            assert_unavailable(reply, world.proxy)
        world.proxy.restore()
        if _without_images(world.items()) == _without_images(before):
            assert not committed and not write.done(world.api, key)
        else:
            assert committed and write.done(world.api, key), (index, forward)


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.name)
def test_cut_at_any_request_of_a_write(world: World, write: Write) -> None:
    """The emulator gone at each request the write's handler makes in turn: never a
    botocore error served as a 500, never half a write."""
    _cut_each_request(world, write, "h", first=_authorization_requests(world))


def test_cut_at_any_request_of_the_authorization(world: World) -> None:
    """The same for the requests authorizing a call, which every call makes alike."""
    _cut_each_request(world, WRITES[0], "a", last=_authorization_requests(world))


# -- the token lookup -----------------------------------------------------------------


def test_a_token_lookup_that_fails_is_a_503_not_a_bad_token(world: World) -> None:
    """The authorizer cannot read the token: the caller is told to retry, not that their
    token is bad; once the table is back the same token works."""
    world.proxy.go_down()
    reply = world.api.get(ns_path("imagestreams", "web"))
    assert_unavailable(reply, world.proxy)
    world.proxy.restore()
    assert world.api.get(ns_path("imagestreams", "web")).status_code == 200


def test_an_unverified_token_is_looked_up_again_by_the_function(world: World) -> None:
    """API Gateway caches the authorizer's answer per token: an answer given during an
    outage must not outlive it, nor let anyone through."""
    route = ROUTES[NAMESPACED + "/imagestreams/{name}"]["GET"]
    world.proxy.go_down()
    answer = authenticate(world.services, world.headers["authorization"])
    assert answer.context == {UNVERIFIED: "true"}
    cached = {"authorizer": {**answer.context, "principalId": answer.principal_id}}
    call = Call(method="GET", path={"namespace": NAMESPACE, "name": "web"},
                headers=dict(world.headers))
    with pytest.raises(ServiceUnavailable):
        authorize(world.services, route, call, cached)  # still down: 503
    world.proxy.restore()
    assert authorize(world.services, route, call, cached).subject == ADMIN
    forged = Call(method="GET", path=call.path, headers={"authorization": "Bearer isk_forged"})
    with pytest.raises(Unauthorized):
        authorize(world.services, route, forged, cached)


# -- triggers, ECR repositories and secrets: the other AWS calls of write requests ------


def _trigger(name: str, queue_arn: str) -> dict:
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTrigger",
            "metadata": {"name": name},
            "spec": {"endpoint": {"protocol": "sqs", "endpoint": queue_arn}}}


TRIGGERS = ns_path("imagestreams", "web") + "/triggers"


def test_a_trigger_whose_subscription_cannot_be_stored_is_unsubscribed(
        world: World, emulator: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB goes away after SNS subscribed the endpoint: the subscription, whose ARN
    could not be stored, is taken back; creating the trigger again finishes it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", emulator)  # SNS stays reachable
    queue = world.queue(f"{world.table}-deploy")
    world.proxy.cut_at("DynamoDB_20120810.PutItem", forward=False)  # storing the ARN
    assert_unavailable(world.api.post(TRIGGERS, _trigger("deploy", queue)), world.proxy)
    assert world.proxy.tripped
    world.proxy.restore()
    assert world.subscriptions(queue) == []
    unfinished = world.api.get(TRIGGERS + "/deploy")
    assert unfinished.status_code == 200 and unfinished.data["status"]["subscriptionArn"] == ""

    again = world.api.post(TRIGGERS, _trigger("deploy", queue))
    assert again.status_code == 201, again.data
    arn = again.data["status"]["subscriptionArn"]
    assert world.subscriptions(queue) == [arn]
    assert world.api.get(TRIGGERS + "/deploy").data["status"]["subscriptionArn"] == arn
    assert world.api.post(TRIGGERS, _trigger("deploy", queue)).status_code == 409


@pytest.mark.parametrize("forward", [False, True], ids=["never reached", "reply lost"])
def test_a_trigger_cut_at_its_claim_is_finished_by_a_retry(world: World, forward: bool) -> None:
    name = "build-lost" if forward else "build-cut"
    queue = world.queue(f"{world.table}-{name}")
    before = world.items()
    world.proxy.cut_at(TRANSACTION, forward=forward)
    assert_unavailable(world.api.post(TRIGGERS, _trigger(name, queue)), world.proxy)
    world.proxy.restore()
    assert (world.items() != before) == forward  # the claim, whole, or nothing
    assert world.subscriptions(queue) == []
    again = world.api.post(TRIGGERS, _trigger(name, queue))
    assert again.status_code == 201, again.data
    assert world.subscriptions(queue) == [again.data["status"]["subscriptionArn"]]


def test_sns_unreachable_leaves_no_trigger(world: World, emulator: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    with FaultProxy(int(emulator.rsplit(":", 1)[1])) as sns_way:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", sns_way.url)
        queue = world.queue(f"{world.table}-test")
        before = world.items()
        sns_way.go_down()
        reply = world.api.post(TRIGGERS, _trigger("test", queue))
        assert_unavailable(reply, sns_way)
        assert "notification service" in reply.data["message"]
        assert world.items() == before  # the trigger's claim was taken back
        sns_way.restore()
        assert world.api.post(TRIGGERS, _trigger("test", queue)).status_code == 201
    assert len(world.subscriptions(queue)) == 1


def test_ecr_unreachable_creates_no_stream(world: World, emulator: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Each new stream gets its ECR repository first; ECR unreachable: no stream."""
    monkeypatch.setenv("ECR_CREATE_REPOSITORIES", "true")
    wiring.use(None)  # rebuilt from the environment at the next request
    with FaultProxy(int(emulator.rsplit(":", 1)[1])) as ecr_way:
        monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", ecr_way.url)
        before = world.items()
        ecr_way.cut_at("AmazonEC2ContainerRegistry_V20150921.CreateRepository",
                       forward=False)
        reply = _create_stream(world.api, "ecr")
        assert_unavailable(reply, ecr_way)
        assert "ECR" in reply.data["message"]
        assert world.items() == before
        ecr_way.restore()
        assert _create_stream(world.api, "ecr").status_code == 201
    repositories = direct(emulator, "ecr").describe_repositories(
        repositoryNames=[f"{NAMESPACE}/appecr"])["repositories"]
    assert len(repositories) == 1


def _secret(name: str) -> dict:
    config = json.dumps({"auths": {"registry.example.test": {"auth": "dTpw"}}})
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
            "type": "kubernetes.io/dockerconfigjson",
            "stringData": {".dockerconfigjson": config}}


def test_a_secret_whose_creation_reply_is_lost_exists_when_asked_again(world: World) -> None:
    secrets = f"/api/v1/namespaces/{NAMESPACE}/secrets"
    world.proxy.cut_at("secretsmanager.CreateSecret", forward=True)
    reply = world.api.post(secrets, _secret("pull"))
    assert_unavailable(reply, world.proxy)
    assert "secret store" in reply.data["message"]
    world.proxy.restore()
    assert world.api.post(secrets, _secret("pull")).status_code == 409
    assert world.api.get(f"{secrets}/pull").status_code == 200
