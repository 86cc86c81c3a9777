"""The registry token endpoint × every kind of caller: which registry actions each gets.

Pull follows the right to get a namespace's stream images, push the right to create its
ImageStreamMappings (a push is one), both as the route matrix writes them out for each
role, so a role's registry rights cannot drift from its API rights.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.resources.rbac import AccessToken
from chalicelib.services.access import token_digest
from chalicelib.services.registry_tokens import SERVICE
from testbed.auth import grant
from testbed.registry_tokens import basic, token_services, verified_claims
from tests.access.test_route_matrix import EXPECTED, NAMESPACED_ROLES, NS, OTHER

SCOPE = f"repository:{NS}/web:pull,push"
CALLERS = (["none", "malformed", "expired", "revoked", "nobody", "cluster-admin",
            "cluster-reader", "cluster-view"] + NAMESPACED_ROLES
           + [f"other-{role}" for role in NAMESPACED_ROLES])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, dict[str, str]]]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        services = token_services(tmp_path_factory.mktemp("token-key"), monkeypatch)
        tokens = {role: grant(services, f"u-{role.replace(':', '-')}", role, NS)
                  for role in NAMESPACED_ROLES}
        tokens.update({f"other-{role}": grant(services, f"o-{role.replace(':', '-')}", role,
                                              OTHER) for role in NAMESPACED_ROLES})
        tokens["cluster-admin"] = grant(services, "root", "cluster-admin")
        tokens["cluster-reader"] = grant(services, "auditor", "cluster-reader")
        tokens["cluster-view"] = grant(services, "everywhere-viewer", "view")
        tokens["nobody"] = services.access.create_token(
            AccessToken.model_validate({"spec": {"subject": "nobody"}}), None).status.token
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        tokens["expired"] = services.access.create_token(AccessToken.model_validate(
            {"spec": {"subject": "root", "expirationTimestamp": past}}), None).status.token
        revoked = grant(services, "root", "cluster-admin")
        services.access.revoke_token(token_digest(revoked)[:16], None)
        tokens["revoked"] = revoked
        tokens["malformed"] = "not-a-token"
        wiring.use(services)
        with Client(app) as client:
            yield client, tokens
        wiring.use(None)


def expected(caller: str) -> list[str] | None:
    """The actions granted on SCOPE; None: the request is refused (401)."""
    if caller in ("malformed", "expired", "revoked"):
        return None
    if caller in ("none", "nobody") or caller.startswith("other-"):
        return []
    if caller == "cluster-admin":
        return ["pull", "push"]
    if caller == "cluster-reader":
        return ["pull"]
    rights = EXPECTED["view" if caller == "cluster-view" else caller]
    return ([action for action, right in (("pull", "get" in rights.get("imagestreamimages", ())),
                                          ("push", "create" in rights.get(
                                              "imagestreammappings", ())))
             if right])


@pytest.mark.parametrize("caller", CALLERS)
def test_every_caller_gets_the_registry_actions_its_roles_give(world, caller):
    client, tokens = world
    headers = {} if caller == "none" else {"authorization": basic(tokens[caller])}
    reply = client.http.get("/registry/token?" + urlencode({"service": SERVICE, "scope": SCOPE}),
                            headers=headers)
    want = expected(caller)
    if want is None:
        assert reply.status_code == 401, reply.body
        assert json.loads(reply.body)["kind"] == "Status"
        return
    assert reply.status_code == 200, reply.body
    access = verified_claims(json.loads(reply.body)["token"])["access"]
    assert access == ([{"type": "repository", "name": f"{NS}/web", "actions": want}]
                      if want else [])
