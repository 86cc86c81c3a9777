"""The integrated registry's token endpoint: who gets which actions, and what is refused."""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.domain.rbac import Binding, allowed
from chalicelib.resources.rbac import AccessToken
from chalicelib.services.access import token_digest
from chalicelib.services.registry_tokens import ISSUER, SERVICE, TOKEN_SECONDS
from testbed.auth import grant
from testbed.registry_tokens import REGISTRY, basic, token_services, verified_claims

NS, OTHER = "shop", "other"
TOKEN_PATH = "/registry/token"
# Whether `edit` may push is the mapping right's decision (domain/rbac.py), read from it.
EDIT_PUSHES = allowed([Binding("u", "edit", NS)], NS, "imagestreammappings", "create")


@pytest.fixture
def world(tmp_path, monkeypatch) -> Iterator[tuple[Client, wiring.Services]]:
    services = token_services(tmp_path, monkeypatch)
    wiring.use(services)
    with Client(app) as client:
        yield client, services
    wiring.use(None)


def ask(client: Client, authorization: str | None, *scopes: str,
        service: str | None = SERVICE) -> Any:
    query = ([("service", service)] if service is not None else []) + \
        [("scope", scope) for scope in scopes]
    headers = {"authorization": authorization} if authorization else {}
    reply = client.http.get(f"{TOKEN_PATH}?{urlencode(query)}" if query else TOKEN_PATH,
                            headers=headers)
    reply.data = json.loads(reply.body)
    return reply


def granted(reply: Any) -> dict[str, list[str]]:
    assert reply.status_code == 200, reply.body
    assert reply.data["token"] == reply.data["access_token"]
    claims = verified_claims(reply.data["token"])
    return {entry["name"]: entry["actions"] for entry in claims["access"]}


@pytest.mark.parametrize("role,namespace,actions", [
    ("admin", NS, ["pull", "push"]),
    ("edit", NS, ["pull", "push"] if EDIT_PUSHES else ["pull"]),
    ("view", NS, ["pull"]),
    ("system:image-puller", NS, ["pull"]),
    ("admin", OTHER, []),
    ("cluster-admin", None, ["pull", "push"]),
    ("cluster-reader", None, ["pull"]),
])
def test_each_role_gets_the_actions_its_rights_give(world, role, namespace, actions):
    client, services = world
    token = grant(services, "someone", role, namespace)
    expected = {f"{NS}/web": actions} if actions else {}
    assert granted(ask(client, basic(token), f"repository:{NS}/web:pull,push")) == expected
    # The same token as a Bearer header, as `oc` sends it.
    assert granted(ask(client, f"Bearer {token}", f"repository:{NS}/web:pull,push")) == expected


def test_the_token_says_who_for_whom_and_how_long(world):
    client, services = world
    token = grant(services, "alice", "admin", NS)
    before = int(time.time())
    reply = ask(client, basic(token, "alice"), f"repository:{NS}/web:pull")
    claims = verified_claims(reply.data["token"])
    assert (claims["iss"], claims["aud"], claims["sub"]) == (ISSUER, SERVICE, "alice")
    assert before - 1 <= claims["iat"] <= time.time() + 1
    assert claims["exp"] - claims["iat"] == reply.data["expires_in"] == TOKEN_SECONDS
    assert claims["nbf"] <= claims["iat"] and claims["jti"]
    issued = datetime.fromisoformat(reply.data["issued_at"].replace("Z", "+00:00"))
    assert abs(issued.timestamp() - claims["iat"]) <= 1


def test_the_username_is_not_read(world):
    client, services = world
    token = grant(services, "alice", "view", NS)
    for username in ("anything", "bob", "", "alice"):
        assert granted(ask(client, basic(token, username), f"repository:{NS}/web:pull")) == {
            f"{NS}/web": ["pull"]}


def test_anonymous_gets_a_token_with_no_access(world):
    client, _ = world
    reply = ask(client, None, f"repository:{NS}/web:pull,push", "registry:catalog:*")
    assert granted(reply) == {}
    assert verified_claims(reply.data["token"])["sub"] == ""
    # `skopeo login` and `docker login` ask without a scope: a token, for no access.
    assert granted(ask(client, None)) == {}


def test_login_without_a_scope_checks_the_token(world):
    client, services = world
    token = grant(services, "alice", "view", NS)
    assert granted(ask(client, basic(token))) == {}
    assert ask(client, basic(token + "x")).status_code == 401


def test_scopes_not_granted_are_left_out_and_each_is_decided_alone(world):
    client, services = world
    token = grant(services, "alice", "admin", NS)
    grant(services, "alice", "system:image-puller", "base")
    got = granted(ask(client, basic(token),
                      f"repository:{NS}/web:pull,push",     # its own namespace
                      "repository:base/python:pull,push",   # pull only there
                      f"repository:{OTHER}/secret:pull",    # nothing there
                      "registry:catalog:*",                 # the catalog: never
                      f"repository:{NS}/web:delete",        # delete: never
                      f"repository:{NS}/a/b:pull",          # no stream's repository
                      f"repository:{NS.upper()}/web:pull",  # no namespace's name
                      f"repository(plugin):{NS}/web:pull"))  # another resource class
    assert got == {f"{NS}/web": ["pull", "push"], "base/python": ["pull"]}


def test_the_actions_asked_for_are_granted_once_each(world):
    client, services = world
    token = grant(services, "alice", "admin", NS)
    assert granted(ask(client, basic(token), f"repository:{NS}/web:push,pull,push,*")) == {
        f"{NS}/web": ["push", "pull"]}


@pytest.mark.parametrize("authorization", [
    basic("isk_not-a-token"), basic("not even the prefix"), basic(""), "Bearer isk_forged",
    "Bearer ", "Basic !!!not-base64", "Basic " + "YWxpY2U=",  # "alice", no colon
    "Digest username=alice", "Token isk_abc"])
def test_a_bad_credential_is_401_and_never_echoed(world, authorization, caplog):
    client, _ = world
    caplog.set_level(logging.DEBUG)
    reply = ask(client, authorization, f"repository:{NS}/web:pull")
    assert reply.status_code == 401, reply.body
    assert reply.data["kind"] == "Status" and reply.data["reason"] == "Unauthorized"
    sent = authorization.partition(" ")[2]
    assert not sent or (sent.encode() not in reply.body and sent not in caplog.text)


def test_expired_and_revoked_tokens_are_401(world):
    client, services = world
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    expired = services.access.create_token(AccessToken.model_validate(
        {"spec": {"subject": "alice", "expirationTimestamp": past}}), None).status.token
    assert ask(client, basic(expired), f"repository:{NS}/web:pull").status_code == 401
    revoked = grant(services, "alice", "admin", NS)
    services.access.revoke_token(token_digest(revoked)[:16], None)  # a token's id
    assert ask(client, basic(revoked), f"repository:{NS}/web:pull").status_code == 401


@pytest.mark.parametrize("scope", ["repository", "repository:shop/web", "repository:shop/web:",
                                   "repository::pull", ":shop/web:pull", "shop/web:pull,,"])
def test_a_malformed_scope_is_400(world, scope):
    client, services = world
    token = grant(services, "alice", "admin", NS)
    reply = ask(client, basic(token), f"repository:{NS}/web:pull", scope)
    assert reply.status_code == 400, reply.body
    assert reply.data["reason"] == "BadRequest" and "scope 2" in reply.data["message"]


def test_another_service_is_400_and_none_is_ours(world):
    client, services = world
    token = grant(services, "alice", "admin", NS)
    assert ask(client, basic(token), service="docker.io").status_code == 400
    assert granted(ask(client, basic(token), f"repository:{NS}/web:pull", service=None)) == {
        f"{NS}/web": ["pull"]}


def test_too_many_scopes_are_400(world):
    client, _ = world
    assert ask(client, None, *[f"repository:{NS}/s{i}:pull" for i in range(21)]).status_code == 400


def test_tokens_never_reach_the_logs(world, caplog):
    client, services = world
    caplog.set_level(logging.DEBUG)
    token = grant(services, "alice", "admin", NS)
    reply = ask(client, basic(token), f"repository:{NS}/web:pull,push")
    assert reply.status_code == 200
    assert token not in caplog.text and reply.data["token"] not in caplog.text
    assert token.encode() not in reply.body


def test_without_a_signing_key_the_endpoint_is_404(monkeypatch):
    monkeypatch.delenv("REGISTRY_TOKEN_KEY_FILE", raising=False)
    wiring.use(wiring.Services(MemoryStore(), REGISTRY))
    try:
        with Client(app) as client:
            reply = client.http.get(f"{TOKEN_PATH}?service={SERVICE}")
        assert reply.status_code == 404 and b"ECR" in reply.body
    finally:
        wiring.use(None)


def test_the_service_signs_its_own_pull_tokens_for_its_registry_only(tmp_path, monkeypatch):
    tokens = token_services(tmp_path, monkeypatch).registry_tokens
    assert tokens is not None
    own = tokens.own_read_token(REGISTRY, SERVICE, f"repository:{NS}/web:pull")
    assert own is not None
    claims = verified_claims(own)
    assert claims["access"] == [{"type": "repository", "name": f"{NS}/web", "actions": ["pull"]}]
    assert tokens.own_read_token(REGISTRY, SERVICE, f"repository:{NS}/web:push") is None
    assert tokens.own_read_token("quay.io", SERVICE, f"repository:{NS}/web:pull") is None
    assert tokens.own_read_token(REGISTRY, "another", f"repository:{NS}/web:pull") is None
    assert tokens.own_read_token(REGISTRY, SERVICE, "nonsense") is None
