"""Tokens and role bindings: the service over both stores, and the role rules."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.dynamodb_access import DynamoBindingStore, DynamoTokenStore
from chalicelib.adapters.memory_access import MemoryBindingStore, MemoryTokenStore
from chalicelib.domain.errors import AlreadyExists, Forbidden, Invalid, NotFound, Unauthorized
from chalicelib.domain.rbac import Binding, allowed
from chalicelib.resources.rbac import AccessToken, RoleBinding
from chalicelib.services.access import ANONYMOUS, AccessService
from testbed.dynamodb import mocked_table
from testbed.dynamodb_key_limits import KeyLimitedBindings

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["memory", "dynamodb"])
def access(request) -> Iterator[tuple[AccessService, Clock, object]]:
    clock = Clock()
    if request.param == "memory":
        yield AccessService(MemoryTokenStore(), MemoryBindingStore(), clock), clock, None
        return
    with mocked_table(stream=False) as table:
        service = AccessService(DynamoTokenStore(table.client, table.name),
                                DynamoBindingStore(table.client, table.name), clock)
        yield service, clock, table


def token_for(service: AccessService, subject: str, expires=None, namespace=None) -> str:
    body = AccessToken.model_validate({"spec": {"subject": subject,
                                                "expirationTimestamp": expires}})
    return service.create_token(body, namespace).status.token


def bind(service: AccessService, namespace, name: str, role: str, *subjects: str) -> None:
    service.create_binding(namespace, RoleBinding.model_validate({
        "metadata": {"name": name}, "roleRef": {"kind": "ClusterRole", "name": role},
        "subjects": [{"kind": "ServiceAccount", "name": s.split(":")[-1],
                      "namespace": s.split(":")[2]} if s.startswith("system:")
                     else {"kind": "User", "name": s} for s in subjects]}))


def test_a_token_authenticates_its_subject_until_revoked(access):
    service, _, table = access
    token = token_for(service, "alice")
    assert token.startswith("isk_") and len(token) > 40
    assert service.authenticate(token) == "alice"
    listed = service.list_tokens(None)
    assert [t.spec.subject for t in listed] == ["alice"] and listed[0].status is None
    if table is not None:  # only the hash is stored
        assert token not in repr(table.items())
    service.revoke_token(listed[0].metadata.name, None)
    with pytest.raises(Unauthorized):
        service.authenticate(token)


def test_bad_missing_and_expired_tokens_are_unauthorized(access):
    service, clock, _ = access
    for bad in [None, "", "Bearer x", "isk_" + "A" * 43, "garbage"]:
        with pytest.raises(Unauthorized):
            service.authenticate(bad)
    token = token_for(service, "bob", expires=(NOW + timedelta(hours=1)).isoformat())
    assert service.authenticate(token) == "bob"
    clock.now = NOW + timedelta(hours=2)
    with pytest.raises(Unauthorized) as caught:
        service.authenticate(token)
    assert "expired" in caught.value.message and token not in caught.value.message


def test_service_account_tokens_belong_to_their_namespace(access):
    service, _, _ = access
    token = token_for(service, "system:serviceaccount:shop:builder", namespace="shop")
    assert service.authenticate(token) == "system:serviceaccount:shop:builder"
    assert [t.spec.subject for t in service.list_tokens("shop")] == [
        "system:serviceaccount:shop:builder"]
    assert service.list_tokens(None) == []
    with pytest.raises(Invalid):
        token_for(service, "system:serviceaccount:other:builder", namespace="shop")
    with pytest.raises(Invalid):
        token_for(service, "not a name!")
    token_id = service.list_tokens("shop")[0].metadata.name
    with pytest.raises(NotFound):
        service.revoke_token(token_id, None)  # not a cluster token
    service.revoke_token(token_id, "shop")


def test_bindings_grant_roles_in_their_namespace_only(access):
    service, _, _ = access
    bind(service, "shop", "editors", "edit", "alice")
    bind(service, None, "readers", "cluster-reader", "carol")
    bind(service, "shop", "ci", "view", "system:serviceaccount:shop:ci")
    service.authorize("alice", "shop", "imagestreams", "create")
    with pytest.raises(Forbidden) as caught:
        service.authorize("alice", "other", "imagestreams", "get")
    assert caught.value.message == ('User "alice" cannot get resource "imagestreams" in the '
                                    'namespace "other"')
    service.authorize("carol", "other", "imagestreams", "list")
    service.authorize("carol", None, "images", "list")
    with pytest.raises(Forbidden):
        service.authorize("carol", "shop", "imagestreams", "delete")
    service.authorize("system:serviceaccount:shop:ci", "shop", "imagestreamtags", "get")
    with pytest.raises(AlreadyExists):
        bind(service, "shop", "editors", "view", "dave")
    with pytest.raises(Invalid):
        bind(service, "shop", "bad", "cluster-admin", "dave")  # cluster roles bind cluster-wide
    assert service.get_binding(None, "readers").kind == "ClusterRoleBinding"
    service.delete_binding("shop", "editors")
    with pytest.raises(Forbidden):
        service.authorize("alice", "shop", "imagestreams", "create")


def test_group_bindings_hold_for_every_member_and_never_for_the_anonymous_user(access):
    service, _, _ = access
    service.create_binding("shop", RoleBinding.model_validate({
        "metadata": {"name": "pullers"}, "roleRef": {"kind": "ClusterRole",
                                                     "name": "system:image-puller"},
        "subjects": [{"kind": "Group", "name": "system:authenticated"},
                     {"kind": "Group", "name": "system:serviceaccounts:ci"}]}))
    assert service.may_pull_from("alice", "shop")
    assert [b.role for b in service.bindings_of("system:serviceaccount:ci:builder", "shop")] == [
        "system:image-puller"]
    assert service.bindings_of(ANONYMOUS, "shop") == []
    with pytest.raises(Forbidden):
        service.authorize(ANONYMOUS, "shop", "imagestreamtags", "get")


@pytest.mark.parametrize("role,resource,verb,expected", [
    ("view", "imagestreams", "list", True),
    ("view", "imagestreams", "create", False),
    ("view", "secrets", "list", False),
    ("edit", "imagestreamimports", "create", True),
    ("edit", "rolebindings", "create", False),
    ("edit", "secrets", "create", False),
    ("admin", "rolebindings", "create", True),
    ("admin", "secrets", "delete", True),
    ("admin", "tokens", "create", True),
    ("system:image-puller", "imagestreamtags", "get", True),
    ("system:image-puller", "imagestreamimages", "get", True),
    ("system:image-puller", "imagestreamtags", "list", False),
    ("system:image-puller", "imagestreams", "get", False),
])
def test_namespace_role_rules(role, resource, verb, expected):
    assert allowed([Binding("u", role, "ns")], "ns", resource, verb) is expected
    assert allowed([Binding("u", role, "ns")], "elsewhere", resource, verb) is False


def test_cluster_roles():
    admin, reader = [Binding("u", "cluster-admin")], [Binding("u", "cluster-reader")]
    assert allowed(admin, None, "images", "list") and allowed(admin, "x", "secrets", "delete")
    assert allowed(reader, None, "images", "get") and allowed(reader, "x", "imagestreams", "list")
    assert not allowed(reader, "x", "imagestreams", "create")
    assert not allowed(reader, "x", "secrets", "get")
    assert not allowed([Binding("u", "admin", "x")], None, "images", "list")


def test_names_no_binding_can_have_never_reach_the_store():
    # Found while fuzzing: a namespace of thousands of characters in any namespaced path was
    # a key DynamoDB refuses, read to authorize the request: a 500 on every route.
    # DynamoDB would refuse those keys (a 500); the stand-in refuses them as it does.
    service = AccessService(MemoryTokenStore(), KeyLimitedBindings(), Clock())
    bind(service, None, "root", "cluster-admin", "alice")
    huge = "n" * 3000
    service.authorize("alice", huge, "imagestreams", "get")  # the cluster binding decides
    for namespace, name in ((huge, "root"), ("ns", huge), ("ns", "a/b"), (None, "..")):
        with pytest.raises(NotFound):
            service.get_binding(namespace, name)
        with pytest.raises(NotFound):
            service.delete_binding(namespace, name)
    with pytest.raises(Invalid) as refused:
        bind(service, "ns", huge, "view", "bob")
    assert [cause.field for cause in refused.value.causes] == ["metadata.name"]
    for listing in (service.list_bindings, service.list_tokens):
        with pytest.raises(Invalid):
            listing(huge)
