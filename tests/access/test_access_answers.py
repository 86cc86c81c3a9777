"""The access service's answers in full: each refusal's message and causes, the objects it
returns, who a request acts for, and the source checks' own-namespace cases. Written so
that a mutant of domain/rbac.py, services/access.py or domain/sources.py changing any of
them fails (docs/mutation.md)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.memory_access import MemoryBindingStore, MemoryTokenStore
from chalicelib.domain.errors import ApiError, Forbidden
from chalicelib.domain.rbac import Binding, allowed
from chalicelib.domain.validation import validate_namespace
from chalicelib.resources.rbac import AccessToken, RoleBinding
from chalicelib.resources.stream import TagReference
from chalicelib.services.access import (
    AccessService,
    token_digest,
)
from chalicelib.services.actor import NOBODY, SERVICE, Actor

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LOCAL = "127.0.0.1:5050"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def service() -> AccessService:
    return AccessService(MemoryTokenStore(), MemoryBindingStore(), Clock())


def answer(call: Callable[[], object]) -> tuple:
    """What a refusal says: its class, message, kind, name and causes."""
    with pytest.raises(ApiError) as raised:
        call()
    error = raised.value
    causes = tuple((c.field, c.message, c.reason) for c in getattr(error, "causes", []))
    return type(error).__name__, error.message, error.kind, error.name, causes


def binding(name: str, role: str, *subjects: dict) -> RoleBinding:
    return RoleBinding.model_validate({
        "metadata": {"name": name, "labels": {"team": "a"}},
        "roleRef": {"kind": "ClusterRole", "name": role}, "subjects": list(subjects)})


def token(subject: str, expires: datetime | None = None, name: str | None = None
          ) -> AccessToken:
    return AccessToken.model_validate({"metadata": {"name": name}, "spec": {
        "subject": subject, "expirationTimestamp": expires}})


# -- authentication

def test_each_unauthorized_answer_says_why(service: AccessService) -> None:
    assert answer(lambda: service.authenticate(None)) == (
        "Unauthorized", "a valid bearer token is required", None, None, ())
    assert answer(lambda: service.authenticate("isk_unknown")) == (
        "Unauthorized", "the bearer token is not valid", None, None, ())
    expiring = service.create_token(token("alice", NOW), None).status.token
    assert answer(lambda: service.authenticate(expiring)) == (  # expired at this instant
        "Unauthorized", "the bearer token has expired", None, None, ())
    later = service.create_token(token("alice", NOW + timedelta(seconds=1)), None)
    assert service.authenticate(later.status.token) == "alice"


def test_a_token_is_long_random_and_its_view_is_complete(service: AccessService) -> None:
    created = service.create_token(token("system:serviceaccount:ci:builder"), "ci")
    secret = created.status.token
    assert secret.startswith("isk_") and len(secret) == len("isk_") + 43
    assert created.metadata.name == token_digest(secret)[:16]
    assert (created.metadata.namespace, created.metadata.creation_timestamp) == ("ci", NOW)
    listed = service.list_tokens("ci")
    assert [(t.metadata.name, t.metadata.namespace, t.metadata.creation_timestamp,
             t.spec.subject) for t in listed] == [
        (created.metadata.name, "ci", NOW, "system:serviceaccount:ci:builder")]


def test_bad_token_subjects_are_invalid_naming_the_field(service: AccessService) -> None:
    assert answer(lambda: service.create_token(token("bad user", name="t"), None)) == (
        "Invalid", 'AccessToken.imagestreams.dev "t" is invalid: spec.subject: Invalid '
        "value: \"bad user\": user names are 1-253 letters, digits, '@', '.', '_' or '-'",
        "AccessToken", "t",
        (("spec.subject", "Invalid value: \"bad user\": user names are 1-253 letters, "
          "digits, '@', '.', '_' or '-'", "FieldValueInvalid"),))
    assert answer(lambda: service.create_token(token("system:admin"), None))[4] == (
        ("spec.subject", 'Invalid value: "system:admin": service accounts are named '
         "system:serviceaccount:<namespace>:<name>", "FieldValueInvalid"),)
    assert answer(lambda: service.create_token(token("alice"), "ci")) == (
        "Invalid", 'AccessToken.imagestreams.dev "" is invalid: spec.subject: Invalid '
        'value: "alice": must be a service account of namespace ci', "AccessToken", "",
        (("spec.subject", 'Invalid value: "alice": must be a service account of namespace ci',
          "FieldValueInvalid"),))


def test_a_token_is_revoked_in_its_own_scope_only(service: AccessService) -> None:
    created = service.create_token(token("system:serviceaccount:ci:builder"), "ci")
    token_id = created.metadata.name
    assert answer(lambda: service.revoke_token(token_id, None)) == (
        "NotFound", f'accesstokens.imagestreams.dev "{token_id}" not found', "accesstokens",
        token_id, ())
    assert answer(lambda: service.revoke_token(token_id + "0", "ci"))[3] == token_id + "0"
    service.revoke_token(token_id, "ci")
    assert service.list_tokens("ci") == []


# -- role bindings

def test_a_binding_is_stored_as_sent_with_its_own_metadata(service: AccessService) -> None:
    stored = service.create_binding("shop", binding(
        "b", "edit", {"kind": "User", "name": "alice"}))
    assert (stored.kind, stored.metadata.name, stored.metadata.namespace,
            stored.metadata.creation_timestamp, stored.metadata.labels) == (
        "RoleBinding", "b", "shop", NOW, {"team": "a"})
    assert len(stored.metadata.uid) == 32
    cluster = service.create_binding(None, binding(
        "c", "view", {"kind": "User", "name": "alice"}))
    assert (cluster.kind, cluster.metadata.namespace) == ("ClusterRoleBinding", None)
    assert [b.metadata.name for b in service.list_bindings("shop")] == ["b"]
    assert [b.metadata.name for b in service.list_bindings(None)] == ["c"]
    assert service.get_binding("shop", "b") == stored


ROLES = ('supported values: "admin", "edit", "view", "system:image-puller", '
         '"system:image-pusher"')


@pytest.mark.parametrize("namespace,body,expected", [
    ("shop", binding("", "edit", {"kind": "User", "name": "a"}),
     (("metadata.name", "Required value", "FieldValueRequired"),)),
    ("shop", binding("a/b", "edit", {"kind": "User", "name": "a"}),
     (("metadata.name", "Invalid value: \"a/b\": may not contain '/' or '%' and may not be "
       "'.' or '..'", "FieldValueInvalid"),)),
    ("shop", binding("..", "edit", {"kind": "User", "name": "a"}),
     (("metadata.name", "Invalid value: \"..\": may not contain '/' or '%' and may not be "
       "'.' or '..'", "FieldValueInvalid"),)),
    ("shop", binding(".", "edit", {"kind": "User", "name": "a"}),
     (("metadata.name", "Invalid value: \".\": may not contain '/' or '%' and may not be "
       "'.' or '..'", "FieldValueInvalid"),)),
    ("shop", binding("a%b", "edit", {"kind": "User", "name": "a"}),
     (("metadata.name", "Invalid value: \"a%b\": may not contain '/' or '%' and may not be "
       "'.' or '..'", "FieldValueInvalid"),)),
    ("shop", binding("x" * 254, "edit", {"kind": "User", "name": "a"}),
     (("metadata.name", f'Invalid value: "{"x" * 254}": must be no more than 253 '
       "characters", "FieldValueInvalid"),)),
    ("shop", binding("b", "cluster-admin", {"kind": "User", "name": "a"}),
     (("roleRef.name", f'Unsupported value: "cluster-admin": {ROLES}',
       "FieldValueNotSupported"),)),
    ("shop", binding("b", "edit"), (("subjects", "Required value", "FieldValueRequired"),)),
    ("shop", binding("b", "edit", {"kind": "Robot", "name": "a"}),
     (("subjects[0].kind", 'Unsupported value: "Robot": supported values: "User", '
       '"ServiceAccount", "Group"', "FieldValueNotSupported"),)),
    ("shop", binding("b", "edit", {"kind": "User", "name": ""}),
     (("subjects[0].name", "Required value", "FieldValueRequired"),)),
    ("shop", binding("b", "edit", {"kind": "ServiceAccount", "name": "x", "namespace": "B"}),
     tuple((e.field, e.message, e.reason)
           for e in validate_namespace("B", "subjects[0].namespace"))),
    (None, binding("b", "edit", {"kind": "ServiceAccount", "name": "x"}),
     (("subjects[0].namespace", "Required value: a ClusterRoleBinding's service account "
       "names its namespace", "FieldValueRequired"),)),
    ("shop", binding("b", "edit", {"kind": "ServiceAccount", "name": "Bad"}),
     (("subjects[0].name", 'Invalid value: "Bad": service accounts are named '
       "system:serviceaccount:<namespace>:<name>", "FieldValueInvalid"),)),
    ("shop", binding("b", "edit", {"kind": "Group", "name": "a/b"}),
     (("subjects[0].name", "Invalid value: \"a/b\": group names are 1-253 characters and "
       "may not contain '/' or '%'", "FieldValueInvalid"),)),
    ("shop", binding("b", "edit", {"kind": "User", "name": "bad user"}),
     (("subjects[0].name", "Invalid value: \"bad user\": user names are 1-253 letters, "
       "digits, '@', '.', '_' or '-'", "FieldValueInvalid"),)),
])
def test_bad_bindings_are_invalid_naming_each_field(service: AccessService, namespace, body,
                                                    expected) -> None:
    kind, message, resource, name, causes = answer(
        lambda: service.create_binding(namespace, body))
    qualified = ("RoleBinding" if namespace else "ClusterRoleBinding")
    assert (kind, resource, name, causes) == ("Invalid", qualified, body.metadata.name,
                                              expected)
    assert message.startswith(f'{qualified}.rbac.authorization.k8s.io "{body.metadata.name}" '
                              "is invalid: ")


def test_a_service_account_subject_without_namespace_is_of_the_bindings(
        service: AccessService) -> None:
    service.create_binding("ci", binding("b", "edit", {"kind": "ServiceAccount",
                                                       "name": "builder"}))
    assert service.may("system:serviceaccount:ci:builder", "ci", "imagestreams", "create")
    assert not service.may("system:serviceaccount:other:builder", "ci", "imagestreams", "get")
    service.create_binding("ci", binding("c", "view", {"kind": "ServiceAccount", "name": "r",
                                                       "namespace": "tools"}))
    assert service.may("system:serviceaccount:tools:r", "ci", "imagestreams", "get")
    assert not service.may("system:serviceaccount:ci:r", "ci", "imagestreams", "get")


@pytest.mark.parametrize("namespace,resource", [("shop", "rolebindings"),
                                                (None, "clusterrolebindings")])
def test_a_missing_binding_is_not_found_by_its_name(service: AccessService, namespace,
                                                    resource) -> None:
    expected = ("NotFound", f'{resource}.rbac.authorization.k8s.io "gone" not found',
                resource, "gone", ())
    assert answer(lambda: service.get_binding(namespace, "gone")) == expected
    assert answer(lambda: service.delete_binding(namespace, "gone")) == expected


def test_a_namespace_no_namespace_can_be_is_invalid(service: AccessService) -> None:
    for listing in (service.list_bindings, service.list_tokens):
        refusal = answer(lambda: listing("Bad"))
        assert refusal[:4] == ("Invalid", refusal[1], "Namespace", "Bad")
        assert refusal[1].startswith('Namespace "Bad" is invalid: metadata.namespace: ')


def test_forbidden_names_the_verb_resource_and_scope(service: AccessService) -> None:
    assert answer(lambda: service.authorize("alice", "shop", "imagestreams", "get")) == (
        "Forbidden", 'User "alice" cannot get resource "imagestreams" in the namespace '
        '"shop"', None, None, ())
    assert answer(lambda: service.authorize("alice", None, "images", "list")) == (
        "Forbidden", 'User "alice" cannot list resource "images" at the cluster scope',
        None, None, ())


def test_bindings_found_are_the_subjects_roles_in_their_scope(service: AccessService) -> None:
    service.create_binding("shop", binding("b", "edit", {"kind": "User", "name": "alice"}))
    service.create_binding(None, binding("c", "view", {"kind": "User", "name": "alice"}))
    assert service.bindings_of("alice", "shop") == [Binding("alice", "view", None),
                                                    Binding("alice", "edit", "shop")]


# -- the roles

@pytest.mark.parametrize("role,rights", [
    ("system:image-pusher", {("imagestreammappings", "create"), ("imagestreamtags", "get"),
                             ("imagestreamimages", "get")}),
    ("system:image-puller", {("imagestreamtags", "get"), ("imagestreamimages", "get")}),
])
def test_the_image_roles_hold_exactly_their_rights(role: str, rights: set) -> None:
    resources = ("imagestreams", "imagestreamtags", "imagestreamimages", "imagestreammappings",
                 "imagestreamimports", "imagestreams/triggers", "rolebindings", "secrets",
                 "tokens", "images")
    verbs = ("get", "list", "watch", "create", "update", "patch", "delete")
    held = {(r, v) for r in resources for v in verbs
            if allowed([Binding("u", role, "shop")], "shop", r, v)}
    assert held == rights
    assert not any(allowed([Binding("u", role, "shop")], "other", r, v) for r, v in rights)


# -- who a request acts for, and the source checks

def test_the_service_may_pull_from_any_namespace_and_nobody_from_none() -> None:
    assert (SERVICE.subject, NOBODY.subject) == ("", "")
    SERVICE.check_pull("other", "tag.from")
    with pytest.raises(Forbidden) as refused:
        NOBODY.check_pull("other", "tag.from")
    assert refused.value.message == ('tag.from: Forbidden: you may not pull images from '
                                     'namespace "other"')


def ref(kind: str, name: str, namespace: str | None = None) -> TagReference:
    return TagReference.model_validate({"name": "t", "from": {
        "kind": kind, "name": name, **({"namespace": namespace} if namespace else {})}})


def test_the_own_namespace_needs_no_pull_right() -> None:
    """Even a caller who may pull from nowhere may name their own namespace's streams."""
    alice = Actor("alice", lambda namespace: False)
    alice.check_spec_source(ref("ImageStreamTag", "web:1", "shop"), "shop", LOCAL, "tag")
    alice.check_spec_source(ref("ImageStreamImage", "web@sha256:" + "a" * 64), "shop", LOCAL,
                            "tag")
    alice.check_spec_source(ref("DockerImage", f"{LOCAL}/shop/web:1"), "shop", LOCAL, "tag")
    alice.check_import_source(f"{LOCAL}/shop/web:1", "shop", LOCAL, "spec.images[0].from")
    alice.check_import_source("quay.io/other/web:1", "shop", LOCAL, "spec.images[0].from")
    with pytest.raises(Forbidden) as refused:
        alice.check_import_source(f"{LOCAL}/other/web:1", "shop", LOCAL,
                                  "spec.images[0].from")
    assert refused.value.message == ('spec.images[0].from: Forbidden: you may not pull images '
                                     'from namespace "other"')


def test_a_tokens_view_shows_when_it_expires(service: AccessService) -> None:
    expires = NOW + timedelta(days=1)
    created = service.create_token(token("alice", expires), None)
    assert created.spec.expiration_timestamp == expires
    assert [t.spec.expiration_timestamp for t in service.list_tokens(None)] == [expires]


class AskedTokens(MemoryTokenStore):
    """A token store that records each id it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def get_token(self, token_id: str):
        self.asked.append(token_id)
        return super().get_token(token_id)


def test_ids_no_token_can_have_never_reach_the_store() -> None:
    """A token's id is 16 hex digits; DynamoDB refuses a key over 2048 bytes."""
    tokens = AskedTokens()
    service = AccessService(tokens, MemoryBindingStore(), Clock())
    for token_id in ("x" * 3000, "0" * 15, "0" * 17):
        assert answer(lambda: service.revoke_token(token_id, None))[0] == "NotFound"
    assert tokens.asked == []
    assert answer(lambda: service.revoke_token("0" * 16, None))[0] == "NotFound"
    assert tokens.asked == ["0" * 16]


def test_a_binding_name_of_the_longest_length_is_accepted(service: AccessService) -> None:
    name = "x" * 253
    stored = service.create_binding("shop", binding(name, "view", {"kind": "User", "name": "a"}))
    assert stored.metadata.name == name
