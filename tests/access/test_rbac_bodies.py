"""RBAC, token and secret bodies as Kubernetes writes them, and Group subjects, through the
API: role bindings and tokens on both stores."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.adapters.dynamodb_access import DynamoBindingStore, DynamoTokenStore
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.resources.stream import ImageStream, ImageStreamMapping
from chalicelib.services.actor import SERVICE
from testbed.auth import admin_headers
from testbed.dynamodb import mocked_table

RBAC = "/apis/rbac.authorization.k8s.io/v1"
TOKENS = "/apis/imagestreams.dev/v1"
IMAGES = "/apis/image.openshift.io/v1"
RBAC_GROUP = "rbac.authorization.k8s.io"
# The project whose images are pulled, the one whose service accounts may pull them, and
# one whose service accounts may not.
PROJECT, PULLER, STRANGER = "shop", "ci", "other"
DIGEST = "sha256:" + "a" * 64


class Api:
    def __init__(self, client: Client, services: wiring.Services):
        self.client = client
        self.services = services
        self.admin = admin_headers(services)

    def request(self, method: str, path: str, body: Any = None,
                token: str | None = None) -> tuple[int, Any]:
        headers = {"content-type": "application/json"}
        headers["authorization"] = f"Bearer {token}" if token else self.admin["authorization"]
        reply = self.client.http.request(method, path, headers=headers,
                                         body=json.dumps(body) if body is not None else None)
        return reply.status_code, json.loads(reply.body) if reply.body else None

    def bind(self, namespace: str | None, name: str, role: str, *subjects: dict) -> None:
        path = (f"{RBAC}/namespaces/{namespace}/rolebindings" if namespace
                else f"{RBAC}/clusterrolebindings")
        code, answer = self.request("POST", path, binding(
            "RoleBinding" if namespace else "ClusterRoleBinding", name, role, list(subjects)))
        assert code == 201, answer

    def service_account_token(self, namespace: str, name: str) -> str:
        code, answer = self.request("POST", f"{TOKENS}/namespaces/{namespace}/accesstokens", {
            "apiVersion": "imagestreams.dev/v1", "kind": "AccessToken",
            "spec": {"subject": f"system:serviceaccount:{namespace}:{name}"}})
        assert code == 201, answer
        return answer["status"]["token"]

    def user_token(self, name: str) -> str:
        code, answer = self.request("POST", f"{TOKENS}/accesstokens",
                                    {"kind": "AccessToken", "spec": {"subject": name}})
        assert code == 201, answer
        return answer["status"]["token"]


def binding(kind: str, name: str, role: str, subjects: list[dict]) -> dict:
    return {"apiVersion": f"{RBAC_GROUP}/v1", "kind": kind, "metadata": {"name": name},
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role},
            "subjects": subjects}


def group(name: str) -> dict:
    return {"apiGroup": RBAC_GROUP, "kind": "Group", "name": name}


def service_account(namespace: str, name: str) -> dict:
    return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


@pytest.fixture(params=["memory", "dynamodb"])
def api(request) -> Iterator[Api]:
    if request.param == "memory":
        yield from _api(wiring.Services(MemoryStore(), "registry.test"))
        return
    with mocked_table(stream=False) as table:
        yield from _api(wiring.Services(
            MemoryStore(), "registry.test",
            token_store=DynamoTokenStore(table.client, table.name),
            binding_store=DynamoBindingStore(table.client, table.name)))


def _api(services: wiring.Services) -> Iterator[Api]:
    for namespace in (PROJECT, PULLER, STRANGER):
        services.streams.create(SERVICE, namespace, ImageStream.model_validate(
            {"metadata": {"name": "web"}}))
    services.tags.map(SERVICE, PROJECT, ImageStreamMapping.model_validate({
        "metadata": {"name": "web"}, "tag": "v1", "image": {
            "metadata": {"name": DIGEST},
            "dockerImageReference": f"registry.test/{PROJECT}/web@{DIGEST}"}}))
    wiring.use(services)
    try:
        with Client(app) as client:
            yield Api(client, services)
    finally:
        wiring.use(None)


SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pull"},
          "type": "kubernetes.io/dockerconfigjson",
          "stringData": {".dockerconfigjson": json.dumps({"auths": {"quay.io": {"auth": "dTpw"}}})}}
OWN_VERSIONS = [
    (f"{RBAC}/namespaces/{PROJECT}/rolebindings",
     binding("RoleBinding", "pullers", "system:image-puller", [group("system:authenticated")])),
    (f"{RBAC}/clusterrolebindings",
     binding("ClusterRoleBinding", "auditors", "cluster-reader",
             [{"apiGroup": RBAC_GROUP, "kind": "User", "name": "auditor"}])),
    (f"{TOKENS}/accesstokens",
     {"apiVersion": "imagestreams.dev/v1", "kind": "AccessToken", "spec": {"subject": "bob"}}),
    (f"{TOKENS}/namespaces/{PULLER}/accesstokens",
     {"apiVersion": "imagestreams.dev/v1", "kind": "AccessToken",
      "spec": {"subject": f"system:serviceaccount:{PULLER}:builder"}}),
    (f"/api/v1/namespaces/{PROJECT}/secrets", SECRET),
]


@pytest.mark.parametrize("path,body", OWN_VERSIONS, ids=lambda v: v if isinstance(v, str)
                         else v["kind"])
def test_each_kind_is_created_in_its_own_group_version(api, path, body):
    code, answer = api.request("POST", path, body)
    assert code == 201, answer
    assert (answer["kind"], answer["apiVersion"]) == (body["kind"], body["apiVersion"])


@pytest.mark.parametrize("path,body,right", [
    (f"{RBAC}/namespaces/{PROJECT}/rolebindings",
     {**OWN_VERSIONS[0][1], "apiVersion": "image.openshift.io/v1"}, "rbac.authorization.k8s.io/v1"),
    (f"{RBAC}/clusterrolebindings", {**OWN_VERSIONS[1][1], "apiVersion": "v1"},
     "rbac.authorization.k8s.io/v1"),
    (f"{TOKENS}/accesstokens", {**OWN_VERSIONS[2][1], "apiVersion": "v1"},
     "imagestreams.dev/v1"),
    (f"/api/v1/namespaces/{PROJECT}/secrets", {**SECRET, "apiVersion": "image.openshift.io/v1"},
     "v1"),
    (f"{IMAGES}/namespaces/{PROJECT}/imagestreams",
     {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ImageStream",
      "metadata": {"name": "api"}}, "image.openshift.io/v1"),
])
def test_another_api_version_is_400_naming_the_endpoints_own(api, path, body, right):
    code, answer = api.request("POST", path, body)
    assert (code, answer["reason"]) == (400, "BadRequest")
    assert answer["message"] == (f'apiVersion "{body["apiVersion"]}" is not served here; '
                                 f'use "{right}"')


def test_group_subjects_are_kept_as_kubernetes_writes_them(api):
    subjects = [group(f"system:serviceaccounts:{PULLER}"), group("system:serviceaccounts"),
                group("system:authenticated"), {"kind": "Group", "name": "release-managers"}]
    api.bind(PROJECT, "system:image-puller", "system:image-puller", *subjects)
    api.bind(None, "everyone-pulls", "system:image-puller", group("system:authenticated"))
    code, stored = api.request("GET", f"{RBAC}/namespaces/{PROJECT}/rolebindings/"
                                      "system:image-puller")
    assert code == 200 and stored["subjects"] == subjects
    code, stored = api.request("GET", f"{RBAC}/clusterrolebindings/everyone-pulls")
    assert code == 200 and stored["kind"] == "ClusterRoleBinding"
    assert stored["subjects"] == [group("system:authenticated")]


def _istag(namespace: str, name: str) -> str:
    return f"{IMAGES}/namespaces/{namespace}/imagestreamtags/{name}"


def _tag_from_project(api: Api, namespace: str, token: str) -> tuple[int, Any]:
    """`oc tag shop/web:v1 web:copied -n <namespace>`."""
    return api.request("PUT", _istag(namespace, "web:copied"), {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
        "tag": {"from": {"kind": "ImageStreamTag", "namespace": PROJECT, "name": "web:v1"}}},
        token)


def test_image_puller_bound_to_a_namespaces_service_accounts_lets_them_pull_and_tag(api):
    # oc policy add-role-to-group system:image-puller system:serviceaccounts:ci -n shop
    api.bind(PROJECT, "system:image-puller", "system:image-puller",
             group(f"system:serviceaccounts:{PULLER}"))
    for namespace in (PULLER, STRANGER):
        api.bind(namespace, "builders", "edit", service_account(namespace, "builder"))
    puller = api.service_account_token(PULLER, "builder")
    stranger = api.service_account_token(STRANGER, "builder")

    code, pulled = api.request("GET", _istag(PROJECT, "web:v1"), token=puller)
    assert code == 200 and pulled["image"]["metadata"]["name"] == DIGEST
    code, tagged = _tag_from_project(api, PULLER, puller)
    assert code in (200, 201), tagged
    code, copied = api.request("GET", _istag(PULLER, "web:copied"), token=puller)
    assert code == 200 and copied["image"]["metadata"]["name"] == DIGEST

    code, refused = api.request("GET", _istag(PROJECT, "web:v1"), token=stranger)
    assert (code, refused["reason"]) == (403, "Forbidden")
    code, refused = _tag_from_project(api, STRANGER, stranger)
    assert code == 403 and "tag.from" in refused["message"]
    assert api.request("GET", _istag(STRANGER, "web:copied"), token=stranger)[0] == 404
    # The role is image-puller's only: the stream itself stays unreadable.
    assert api.request("GET", f"{IMAGES}/namespaces/{PROJECT}/imagestreams/web",
                       token=puller)[0] == 403


def test_the_groups_of_all_service_accounts_and_of_everyone(api):
    stranger = api.service_account_token(STRANGER, "builder")
    user = api.user_token("alice")
    path = _istag(PROJECT, "web:v1")
    assert api.request("GET", path, token=stranger)[0] == 403
    api.bind(PROJECT, "service-accounts", "system:image-puller",
             group("system:serviceaccounts"))
    assert api.request("GET", path, token=stranger)[0] == 200
    assert api.request("GET", path, token=user)[0] == 403  # a user is no service account
    api.bind(PROJECT, "everyone", "system:image-puller", group("system:authenticated"))
    assert api.request("GET", path, token=user)[0] == 200
    reply = api.client.http.get(path)  # no token: not authenticated, in no group
    assert reply.status_code == 401


def test_whoami_lists_the_groups_of_a_token(api):
    code, who = api.request("GET", "/apis/user.openshift.io/v1/users/~",
                            token=api.service_account_token(PULLER, "builder"))
    assert code == 200 and who["groups"] == [
        "system:authenticated", "system:serviceaccounts", f"system:serviceaccounts:{PULLER}"]
    code, who = api.request("GET", "/apis/user.openshift.io/v1/users/~",
                            token=api.user_token("alice"))
    assert who["groups"] == ["system:authenticated"]


@pytest.mark.parametrize("namespace,subject,field,reason", [
    (PROJECT, {"kind": "Robot", "name": "r2"}, "subjects[0].kind", "FieldValueNotSupported"),
    (None, {"kind": "SystemGroup", "name": "x"}, "subjects[0].kind", "FieldValueNotSupported"),
    (PROJECT, group("a/b"), "subjects[0].name", "FieldValueInvalid"),
    (PROJECT, group("100%"), "subjects[0].name", "FieldValueInvalid"),
    (PROJECT, group("g" * 254), "subjects[0].name", "FieldValueInvalid"),
    (PROJECT, group(""), "subjects[0].name", "FieldValueRequired"),
    (PROJECT, {"kind": "User", "name": "no spaces"}, "subjects[0].name", "FieldValueInvalid"),
    (PROJECT, service_account("Not_A_Namespace", "ci"), "subjects[0].namespace",
     "FieldValueInvalid"),
    (None, {"kind": "ServiceAccount", "name": "ci"}, "subjects[0].namespace",
     "FieldValueRequired"),
])
def test_a_bad_subject_is_422_naming_its_field(api, namespace, subject, field, reason):
    path = (f"{RBAC}/namespaces/{namespace}/rolebindings" if namespace
            else f"{RBAC}/clusterrolebindings")
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    code, answer = api.request("POST", path, binding(kind, "bad", "view", [subject]))
    assert (code, answer["reason"]) == (422, "Invalid"), answer
    assert [(c["field"], c["reason"]) for c in answer["details"]["causes"]] == [(field, reason)]
    assert field in answer["message"]


def test_a_group_name_of_253_characters_is_accepted(api):
    api.bind(PROJECT, "long", "view", group("g" * 253))


# -- kubectl auth can-i: SelfSubjectAccessReview, decided by the rules requests meet

def can_i(api: Api, token: str | None, **attributes: str) -> tuple[int, Any]:
    spec = ({"nonResourceAttributes": attributes} if "path" in attributes
            else {"resourceAttributes": attributes} if attributes else {})
    code, answer = api.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                               {"apiVersion": "authorization.k8s.io/v1",
                                "kind": "SelfSubjectAccessReview", "spec": spec}, token)
    if answer["kind"] == "Status":
        return code, answer["reason"]
    return code, answer["status"]["allowed"]


def test_an_access_review_answers_as_the_api_decides(api: Api) -> None:
    api.bind(PROJECT, "readers", "view", group(f"system:serviceaccounts:{PULLER}"))
    reader = api.service_account_token(PULLER, "builder")
    stranger = api.service_account_token(STRANGER, "builder")
    streams = {"group": "image.openshift.io", "resource": "imagestreams",
               "namespace": PROJECT}
    assert can_i(api, None, verb="create", **streams) == (201, True)  # the cluster admin
    assert can_i(api, reader, verb="list", **streams) == (201, True)
    assert can_i(api, reader, verb="create", **streams) == (201, False)
    assert can_i(api, stranger, verb="get", **streams) == (201, False)
    assert can_i(api, reader, verb="list", group="image.openshift.io",
                 resource="imagestreams", subresource="triggers",
                 namespace=PROJECT) == (201, True)
    assert can_i(api, reader, verb="get", group="", resource="secrets",
                 namespace=PROJECT) == (201, False)
    assert can_i(api, reader, verb="get", group="apps", resource="deployments",
                 namespace=PROJECT) == (201, False)  # not served here
    assert can_i(api, stranger, verb="get", path="/version") == (201, True)
    assert can_i(api, stranger, verb="get", path="/apis/image.openshift.io/v1/images") == (
        201, False)
    # and the requests themselves agree
    assert api.request("GET", f"{IMAGES}/namespaces/{PROJECT}/imagestreams", None,
                       reader)[0] == 200
    assert api.request("POST", f"{IMAGES}/namespaces/{PROJECT}/imagestreams",
                       {"kind": "ImageStream", "metadata": {"name": "x"}}, reader)[0] == 403


def test_an_access_review_needs_attributes_and_a_token(api: Api) -> None:
    assert can_i(api, None) == (422, "Invalid")
    assert can_i(api, "isk_not-a-token", verb="get", path="/version") == (401, "Unauthorized")


def test_acting_as_another_user_is_refused(api: Api) -> None:
    """kubectl --as sends Impersonate-User; nothing is done, or answered, for the caller."""
    reply = api.client.http.request(
        "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        headers={**api.admin, "content-type": "application/json", "Impersonate-User": "nobody"},
        body=json.dumps({"kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": {
            "verb": "create", "group": "image.openshift.io", "resource": "imagestreams"}}}))
    answer = json.loads(reply.body)
    assert (reply.status_code, answer["reason"]) == (403, "Forbidden")
    assert "impersonat" in answer["message"]
    listed = api.client.http.get(f"{IMAGES}/namespaces/{PROJECT}/imagestreams",
                                 headers={**api.admin, "Impersonate-Group": "system:masters"})
    assert listed.status_code == 403
