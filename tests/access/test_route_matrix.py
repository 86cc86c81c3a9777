"""Every route × every kind of caller: no token, bad tokens, and each role in the
namespace, in another namespace and cluster-wide. Each cell has an expected answer."""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.api.catalogue import CATALOGUE
from chalicelib.api.routes import ROUTES, UNKNOWN_PATHS
from chalicelib.resources.rbac import AccessToken
from chalicelib.resources.stream import ImageStream, ImageStreamMapping
from chalicelib.services.access import token_digest
from chalicelib.services.actor import SERVICE
from testbed.auth import grant

NS, OTHER = "shop", "other"
DIGEST = "sha256:" + "a" * 64
DIGEST_B, DIGEST_C = "sha256:" + "b" * 64, "sha256:" + "c" * 64
ALL = {"get", "list", "create", "update", "patch", "delete"}
READ = {"get", "list"}

# What each role may do, written out independently of the rule table under test.
EXPECTED: dict[str, dict[str, set[str]]] = {
    "admin": {r: ALL for r in ("imagestreams", "imagestreamtags", "imagestreamimports",
                               "imagestreammappings", "imagestreams/triggers",
                               "imagestreamtags/history", "imagestreamimages", "rolebindings",
                               "secrets", "tokens")},
    # Not mappings: recording an image by digest is the registry's (a push), not edit's.
    "edit": {**{r: ALL for r in ("imagestreams", "imagestreamtags", "imagestreamimports",
                                 "imagestreams/triggers", "imagestreamtags/history")},
             "imagestreamimages": READ},
    "view": {"imagestreams": READ, "imagestreamtags": READ, "imagestreamimages": READ,
             "imagestreams/triggers": READ, "imagestreamtags/history": READ},
    "system:image-puller": {"imagestreamtags": {"get"}, "imagestreamimages": {"get"}},
    "system:image-pusher": {"imagestreamtags": {"get"}, "imagestreamimages": {"get"},
                            "imagestreammappings": {"create"}},
}
NAMESPACED_ROLES = list(EXPECTED)
CLUSTER_READ_DENIED = {"secrets", "tokens"}


class FakeSubscriptions:
    """SNS stands outside this test: triggers subscribe through this fake."""

    def subscribe(self, protocol: str, endpoint: str, policy: dict) -> tuple[str, bool]:
        return f"arn:aws:sns:us-east-1:123456789012:topic:{len(endpoint)}", False

    def unsubscribe(self, subscription_arn: str) -> None:
        pass


def concrete(path: str) -> str:
    values = {"namespace": NS, "trigger": "t1"}
    if "/imagestreamtags/" in path:
        values["name"] = "web:v1"
    elif "/imagestreamimages/" in path:
        values["name"] = f"web@{DIGEST}"
    elif path.endswith("/images/{name}"):
        values["name"] = DIGEST
    else:
        values["name"] = "web"
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)


def cases() -> list[tuple[str, str, str, str]]:
    found = []
    for path, methods in ROUTES.items():
        for method, route in methods.items():
            if route.verb is not None:
                found.append((path, method, route.verb, route.resource))
    return found


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Client, dict[str, str], wiring.Services]]:
    services = wiring.Services(MemoryStore(), "registry.test",
                               subscriptions=lambda: FakeSubscriptions())
    services.streams.create(SERVICE, NS, ImageStream.model_validate({"metadata": {"name": "web"}}))
    services.tags.map(SERVICE, NS, ImageStreamMapping.model_validate({
        "metadata": {"name": "web"}, "tag": "v1", "image": {
            "metadata": {"name": DIGEST}, "dockerImageReference": f"registry.test/shop/web@{DIGEST}"}}))
    tokens = {role: grant(services, f"u-{role.replace(':', '-')}", role, NS)
              for role in NAMESPACED_ROLES}
    tokens.update({f"other-{role}": grant(services, f"o-{role.replace(':', '-')}", role, OTHER)
                   for role in NAMESPACED_ROLES})
    tokens["cluster-admin"] = grant(services, "root", "cluster-admin")
    tokens["cluster-reader"] = grant(services, "auditor", "cluster-reader")
    tokens["cluster-view"] = grant(services, "everywhere-viewer", "view")  # bound cluster-wide
    tokens["nobody"] = services.access.create_token(
        AccessToken.model_validate({"spec": {"subject": "nobody"}}), None).status.token
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    tokens["expired"] = services.access.create_token(AccessToken.model_validate(
        {"spec": {"subject": "root", "expirationTimestamp": past}}), None).status.token
    revoked = grant(services, "root", "cluster-admin")
    services.access.revoke_token(token_digest(revoked)[:16], None)  # a token's id
    tokens["revoked"] = revoked
    wiring.use(services)
    with Client(app) as client:
        yield client, tokens, services
    wiring.use(None)


def expected(caller: str, verb: str, resource: str, path: str) -> str:
    """"401", "403" or "allowed" for one cell."""
    if caller in ("none", "malformed", "expired", "revoked"):
        return "401"
    if CATALOGUE[resource].about_the_caller:  # whoami, access reviews
        return "allowed"
    if caller == "cluster-admin":
        return "allowed"
    namespaced = "{namespace}" in path
    if caller == "cluster-reader":
        return "allowed" if verb in READ and resource not in CLUSTER_READ_DENIED else "403"
    if caller == "nobody" or caller.startswith("other-") or not namespaced:
        return "403"
    role = "view" if caller == "cluster-view" else caller
    return "allowed" if verb in EXPECTED[role].get(resource, set()) else "403"


CALLERS = (["none", "malformed", "expired", "revoked", "nobody", "cluster-admin",
            "cluster-reader", "cluster-view"] + NAMESPACED_ROLES + [f"other-{r}" for r in NAMESPACED_ROLES])


@pytest.mark.parametrize("path,method,verb,resource", cases())
def test_every_route_answers_every_caller_as_expected(world, path, method, verb, resource):
    client, tokens, _ = world
    failures = []
    for caller in CALLERS:
        headers = {"content-type": "application/json"}
        if caller == "malformed":
            headers["authorization"] = "Bearer not-a-token"
        elif caller != "none":
            headers["authorization"] = f"Bearer {tokens[caller]}"
        body = "{}" if method in ("POST", "PUT", "PATCH") else None
        if method == "PATCH":
            headers["content-type"] = "application/merge-patch+json"
        want = expected(caller, verb, resource, path)
        if method == "DELETE" and want == "allowed":
            continue  # performing it would remove what later cells read; refusals are sent
        reply = client.http.request(method, concrete(path), body=body, headers=headers)
        got = str(reply.status_code)
        ok = got == want if want != "allowed" else got not in ("401", "403")
        if got in ("401", "403") and caller != "none":
            ok = ok and json.loads(reply.body)["kind"] == "Status"
        if not ok:
            failures.append((caller, want, got, reply.body[:160]))
    assert not failures, failures


def test_the_route_table_and_the_app_agree():
    """A path the app serves but the table lacks would bypass the access decision.
    (Every path takes every method: the table's missing methods answer 405 Status.)"""
    served = set(app.routes) - set(UNKNOWN_PATHS)
    assert served == set(ROUTES), (sorted(served - set(ROUTES)), sorted(set(ROUTES) - served))
    for path, methods in ROUTES.items():
        protected = any(route.verb is not None for route in methods.values())
        entries = app.routes[path]
        assert all((entry.authorizer is not None) == protected for entry in entries.values()), (
            path, protected)


def test_tokens_appear_once_and_never_in_lists_errors_or_logs(world, caplog):
    client, tokens, _ = world
    caplog.set_level(logging.DEBUG)
    admin = {"authorization": f"Bearer {tokens['cluster-admin']}",
             "content-type": "application/json"}
    created = client.http.post("/apis/imagestreams.dev/v1/accesstokens", headers=admin,
                               body=json.dumps({"kind": "AccessToken",
                                                "spec": {"subject": "carol"}}))
    assert created.status_code == 201
    token = json.loads(created.body)["status"]["token"]
    assert token.startswith("isk_")
    listed = client.http.get("/apis/imagestreams.dev/v1/accesstokens", headers=admin).body
    who = client.http.get("/apis/user.openshift.io/v1/users/~",
                          headers={"authorization": f"Bearer {token}"})
    assert json.loads(who.body)["metadata"]["name"] == "carol"
    bad = client.http.get(f"/apis/image.openshift.io/v1/namespaces/{NS}/imagestreams",
                          headers={"authorization": f"Bearer {token}x"})
    assert bad.status_code == 401
    everything = [listed, who.body, bad.body]
    secrets_seen = [value for value in tokens.values() if value] + [token]
    for body in everything:
        assert not any(value.encode() in body for value in secrets_seen)
    assert not any(value in caplog.text for value in secrets_seen)


def test_cross_namespace_sources_need_image_puller_there(world):
    client, tokens, services = world
    editor = {"authorization": f"Bearer {tokens['edit']}", "content-type": "application/json"}
    body = json.dumps({"kind": "ImageStreamTag", "tag": {"from": {
        "kind": "ImageStreamTag", "namespace": OTHER, "name": "base:1"}}})
    path = f"/apis/image.openshift.io/v1/namespaces/{NS}/imagestreamtags/web:copied"
    refused = client.http.put(path, headers=editor, body=body)
    assert refused.status_code == 403
    assert "tag.from" in json.loads(refused.body)["message"]
    grant(services, "u-edit", "system:image-puller", OTHER)
    if services.store.get_stream(OTHER, "base") is None:  # the module's world is shared
        services.streams.create(SERVICE, OTHER, ImageStream.model_validate({"metadata": {"name": "base"}}))
    assert client.http.put(path, headers=editor, body=body).status_code == 201


def test_cross_namespace_image_sources_need_image_puller_there(world):
    """An ImageStreamImage source is checked as an ImageStreamTag source is: the same 403
    for an image that exists and one that does not, until the right is granted."""
    client, tokens, services = world
    if services.store.get_stream(OTHER, "images") is None:  # the module's world is shared
        services.streams.create(SERVICE, OTHER, ImageStream.model_validate({"metadata": {"name": "images"}}))
        services.tags.map(SERVICE, OTHER, ImageStreamMapping.model_validate({
            "metadata": {"name": "images"}, "tag": "1", "image": {"metadata": {"name": DIGEST_B}}}))
    viewer = grant(services, "u-edit-images", "edit", NS)
    headers = {"authorization": f"Bearer {viewer}", "content-type": "application/json"}
    path = f"/apis/image.openshift.io/v1/namespaces/{NS}/imagestreamtags/web:from-image"

    def put(name: str) -> tuple[int, dict]:
        reply = client.http.put(path, headers=headers, body=json.dumps({
            "kind": "ImageStreamTag", "tag": {"from": {
                "kind": "ImageStreamImage", "namespace": OTHER, "name": name}}}))
        return reply.status_code, json.loads(reply.body)

    exists, missing = put(f"images@{DIGEST_B}"), put(f"images@sha256:{'c' * 64}")
    assert exists == missing and exists[0] == 403, (exists, missing)
    assert "tag.from: Forbidden" in exists[1]["message"]
    grant(services, "u-edit-images", "system:image-puller", OTHER)
    code, tagged = put(f"images@{DIGEST_B[:15]}")
    assert code == 201, tagged
    assert tagged["image"]["metadata"]["name"] == DIGEST_B


def test_mappings_are_the_pushers_right_not_edits(world):
    """A mapping naming a digest recorded elsewhere would show that image's metadata: edit
    may not create one, system:image-pusher and admin may (both directions)."""
    client, tokens, services = world
    if services.store.get_stream(OTHER, "secret") is None:
        services.streams.create(SERVICE, OTHER, ImageStream.model_validate({"metadata": {"name": "secret"}}))
        services.tags.map(SERVICE, OTHER, ImageStreamMapping.model_validate({
            "metadata": {"name": "secret"}, "tag": "1", "image": {
                "metadata": {"name": DIGEST_C},
                "dockerImageMetadata": {"Config": {"Env": ["DB_PASSWORD=planted"]}}}}))
    path = f"/apis/image.openshift.io/v1/namespaces/{NS}/imagestreammappings"
    body = json.dumps({"kind": "ImageStreamMapping", "metadata": {"name": "web"},
                       "tag": "stolen", "image": {"metadata": {"name": DIGEST_C}}})
    for caller in ("edit", "view", "system:image-puller", "other-system:image-pusher",
                   "other-admin"):
        reply = client.http.post(path, body=body, headers={
            "authorization": f"Bearer {tokens[caller]}", "content-type": "application/json"})
        assert reply.status_code == 403, (caller, reply.body)
        assert b"imagestreammappings" in reply.body
    assert services.store.get_tag(NS, "web", "stolen") is None
    for caller in ("system:image-pusher", "admin", "cluster-admin"):
        reply = client.http.post(path, body=body, headers={
            "authorization": f"Bearer {tokens[caller]}", "content-type": "application/json"})
        assert reply.status_code == 201, (caller, reply.body)
    assert services.access.may_push_to("u-system-image-pusher", NS)
    assert not services.access.may_push_to("u-edit", NS)
    assert not services.access.may_push_to("u-system-image-pusher", OTHER)


def test_a_taken_endpoint_says_nothing_of_another_namespaces_trigger(world):
    """SNS keeps one subscription per endpoint: the first trigger holds it until deleted.
    A 409 names the holder only when it is in the caller's own namespace."""
    client, tokens, services = world
    endpoint = "arn:aws:sqs:us-east-1:123456789012:deploys"
    triggers = "/apis/image.openshift.io/v1/namespaces/{}/imagestreams/{}/triggers"

    def post(caller: str, namespace: str, stream: str, name: str) -> tuple[int, dict]:
        reply = client.http.post(triggers.format(namespace, stream), headers={
            "authorization": f"Bearer {tokens[caller]}", "content-type": "application/json"},
            body=json.dumps({"kind": "ImageStreamTrigger", "metadata": {"name": name},
                             "spec": {"endpoint": {"protocol": "sqs", "endpoint": endpoint}}}))
        return reply.status_code, json.loads(reply.body)

    if services.store.get_stream(OTHER, "hidden-stream") is None:
        services.streams.create(SERVICE, OTHER, ImageStream.model_validate(
            {"metadata": {"name": "hidden-stream"}}))
    assert post("other-admin", OTHER, "hidden-stream", "hidden-trigger")[0] == 201
    for caller in ("edit", "admin", "cluster-admin"):
        code, reply = post(caller, NS, "web", "mine")
        assert code == 409 and reply["reason"] == "Conflict", (caller, reply)
        assert "is taken" in reply["message"]
        text = json.dumps(reply)
        assert not any(word in text for word in (OTHER, "hidden-stream", "hidden-trigger"))
        assert reply["details"]["name"] == "mine"
    # Within one namespace the holder is named, so its owners can free the endpoint.
    code, reply = post("other-edit", OTHER, "hidden-stream", "second")
    assert code == 409 and "trigger hidden-trigger of image stream hidden-stream" in \
        reply["message"], reply
    deleted = client.http.delete(triggers.format(OTHER, "hidden-stream") + "/hidden-trigger",
                                 headers={"authorization": f"Bearer {tokens['other-edit']}"})
    assert deleted.status_code == 200
    assert post("edit", NS, "web", "mine")[0] == 201
    client.http.delete(triggers.format(NS, "web") + "/mine",
                       headers={"authorization": f"Bearer {tokens['edit']}"})
