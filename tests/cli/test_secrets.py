"""`isctl create secret docker-registry`, `get/describe/delete secrets`, and `create -f` /
`apply -f` sending each document to its own group's API, against the real app in process.

The secret is proven by what it is for: an import from a registry that wants credentials
fails without it and succeeds with it (Debian's docker-registry with htpasswd, on loopback).
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from chalicelib.services.imports import ImportSettings
from testbed.oci_layout import BuiltImage, OciLayout
from testbed.registry import RegistryServer, basic_registry  # noqa: F401 (a fixture)

from .conftest import Isctl

RBAC = "/apis/rbac.authorization.k8s.io/v1"


@pytest.fixture
def import_settings() -> ImportSettings:
    return ImportSettings(allow_list="127.0.0.0/8", request_seconds=3.0, api_seconds=10.0)


@pytest.fixture(scope="module")
def private_image(basic_registry: RegistryServer,  # noqa: F811
                  tmp_path_factory: pytest.TempPathFactory) -> BuiltImage:
    layout = OciLayout(tmp_path_factory.mktemp("cli-secret-layout"))
    image = layout.image([{"private.txt": b"only with credentials\n"}])
    layout.tag("v1", image)
    basic_registry.push(layout, "v1", "cli/private:1")
    return image


def raw(isctl: Isctl, path: str) -> dict:
    """A GET as the cluster-admin, outside isctl (what the server keeps)."""
    reply = isctl.adapter.client.http.request("GET", path, headers={
        "authorization": f"Bearer {isctl.tokens['admin']}"})
    assert reply.status_code == 200, reply.body
    return json.loads(reply.body)


def test_a_docker_registry_secret_lets_an_import_through(
        isctl: Isctl, private_image: BuiltImage,
        basic_registry: RegistryServer):  # noqa: F811 (a fixture)
    origin = f"{basic_registry.host}/cli/private:1"
    result = isctl("import-image", "private:1", "--from", origin, "--confirm", "--insecure")
    assert result.code == 0 and "Unauthorized" in result.out, result
    user, password = basic_registry.credentials
    assert isctl.ok("create", "secret", "docker-registry", "private-pull",
                    f"--docker-server={basic_registry.host}", f"--docker-username={user}",
                    f"--docker-password={password}", "--docker-email=ops@example.test") == (
        "secret/private-pull created\n")
    out = isctl.ok("import-image", "private:1", "--insecure")
    assert out.startswith("imagestream.image.openshift.io/private imported\n\n")
    assert f"Name:\t\t{private_image.digest}\n" in out


def test_the_secret_is_written_as_kubectl_writes_it(isctl: Isctl, monkeypatch):
    sent: list[dict] = []
    forward = isctl.adapter.send

    def send(request, **kw):
        if request.method == "POST" and request.path_url.endswith("/secrets"):
            sent.append(json.loads(request.body))
        return forward(request, **kw)

    monkeypatch.setattr(isctl.adapter, "send", send)
    isctl.ok("create", "secret", "docker-registry", "quay-pull", "--docker-server=quay.io",
             "--docker-username=robot", "--docker-password=s3cret")
    [body] = sent
    assert (body["apiVersion"], body["kind"], body["type"], body["metadata"]) == (
        "v1", "Secret", "kubernetes.io/dockerconfigjson", {"name": "quay-pull"})
    config = json.loads(base64.b64decode(body["data"][".dockerconfigjson"]))
    assert config == {"auths": {"quay.io": {
        "username": "robot", "password": "s3cret",
        "auth": base64.b64encode(b"robot:s3cret").decode()}}}
    assert isctl.adapter.requests[-1] == ("POST", "/api/v1/namespaces/default/secrets")


def test_get_describe_and_delete_show_names_and_types_never_values(isctl: Isctl):
    isctl.ok("create", "secret", "docker-registry", "quay-pull", "--docker-server=quay.io",
             "--docker-username=robot", "--docker-password=s3cret-value")
    isctl.later(90)
    assert isctl.ok("get", "secrets") == (
        "NAME        TYPE                             AGE\n"
        "quay-pull   kubernetes.io/dockerconfigjson   90s\n")
    assert isctl.ok("get", "secret/quay-pull", "-o", "name") == "secret/quay-pull\n"
    for output in ("json", "yaml"):
        shown = isctl.ok("get", "secret", "quay-pull", "-o", output)
        assert "quay-pull" in shown and "s3cret" not in shown
        assert "stringData" not in shown and not any(
            line.strip().startswith(('"data"', "data:")) for line in shown.split("\n"))
    assert isctl.ok("describe", "secret", "quay-pull") == (
        "Name:         quay-pull\n"
        "Namespace:    default\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "\n"
        "Type:  kubernetes.io/dockerconfigjson\n")
    assert isctl.ok("delete", "secret", "quay-pull") == 'secret "quay-pull" deleted\n'
    result = isctl("get", "secrets")
    assert (result.code, result.out, result.err) == (
        0, "", "No resources found in default namespace.\n")


def test_from_file_keeps_a_docker_config(isctl: Isctl, tmp_path: Path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"auths": {"quay.io": {"auth": "cm9ib3Q6cGFzcw=="}}}))
    assert isctl.ok("create", "secret", "docker-registry", "from-file",
                    f"--from-file=.dockerconfigjson={config}") == "secret/from-file created\n"
    assert isctl.ok("create", "secret", "docker-registry", "bare-path",
                    f"--from-file={config}", "-o", "name") == "secret/bare-path\n"
    types = [(s["metadata"]["name"], s["type"])
             for s in raw(isctl, "/api/v1/namespaces/default/secrets")["items"]]
    assert types == [("bare-path", "kubernetes.io/dockerconfigjson"),
                     ("from-file", "kubernetes.io/dockerconfigjson")]


@pytest.mark.parametrize("args, message", [
    ([], "exactly one NAME is required, got 0"),
    (["x", "--docker-username=u", "--docker-server=quay.io"],
     "either --from-file or the combination of --docker-username, --docker-password and "
     "--docker-server is required"),
    (["x", "--from-file=config.json=c.json"],
     'the key of a docker-registry secret is .dockerconfigjson, not "config.json"'),
])
def test_secret_usage_errors(isctl: Isctl, args: list[str], message: str):
    result = isctl("create", "secret", "docker-registry", *args)
    assert (result.code, result.err) == (
        2, f"error: {message}\nSee 'isctl create secret docker-registry -h' for help and "
           "examples\n")


def test_invalid_content_is_the_servers_message_without_the_value(isctl: Isctl, tmp_path: Path):
    config = tmp_path / "config.json"
    config.write_text("not json, and secret-ish")
    result = isctl("create", "secret", "docker-registry", "broken", f"--from-file={config}")
    assert result.code == 1
    assert result.err.startswith('The Secret "broken" is invalid: data[.dockerconfigjson]: '
                                 "Invalid value: <hidden>: ")
    assert "secret-ish" not in result.err


MIXED = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: quay-pull}
  type: kubernetes.io/dockerconfigjson
  stringData:
    .dockerconfigjson: '{"auths": {"quay.io": {"auth": "cm9ib3Q6cGFzcw=="}}}'
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: pullers}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:image-puller}
  subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:serviceaccounts:ci"}
- apiVersion: image.openshift.io/v1
  kind: ImageStream
  metadata: {name: python}
---
apiVersion: v1
kind: ImageStream
metadata: {name: legacy}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: auditors}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: auditor}
"""


def test_create_sends_each_document_to_its_groups_api(isctl: Isctl):
    before = len(isctl.adapter.requests)
    assert isctl.ok("create", "-f", "-", stdin=MIXED) == (
        "secret/quay-pull created\n"
        "rolebinding.rbac.authorization.k8s.io/pullers created\n"
        "imagestream.image.openshift.io/python created\n"
        "imagestream.image.openshift.io/legacy created\n"
        "clusterrolebinding.rbac.authorization.k8s.io/auditors created\n")
    assert isctl.adapter.requests[before:] == [
        ("POST", "/api/v1/namespaces/default/secrets"),
        ("POST", f"{RBAC}/namespaces/default/rolebindings"),
        ("POST", "/apis/image.openshift.io/v1/namespaces/default/imagestreams"),
        ("POST", "/apis/image.openshift.io/v1/namespaces/default/imagestreams"),
        ("POST", f"{RBAC}/clusterrolebindings")]
    assert isctl.ok("get", "rolebindings") == (
        "NAME      ROLE                              AGE\n"
        "pullers   ClusterRole/system:image-puller   0s\n")
    assert isctl.ok("get", "clusterrolebindings", "auditors", "-o", "wide").split("\n")[1] \
        .split() == ["auditors", "ClusterRole/cluster-reader", "0s", "auditor"]
    assert isctl.ok("describe", "rolebinding", "pullers") == (
        "Name:         pullers\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "Role:\n"
        "  Kind:  ClusterRole\n"
        "  Name:  system:image-puller\n"
        "Subjects:\n"
        "  Kind   Name                       Namespace\n"
        "  ----   ----                       ---------\n"
        "  Group  system:serviceaccounts:ci\n")
    assert isctl.ok("delete", "-f", "-", stdin=MIXED) == (
        'secret "quay-pull" deleted\n'
        'rolebinding.rbac.authorization.k8s.io "pullers" deleted\n'
        'imagestream.image.openshift.io "python" deleted\n'
        'imagestream.image.openshift.io "legacy" deleted\n'
        'clusterrolebinding.rbac.authorization.k8s.io "auditors" deleted\n')


def test_a_kind_in_another_groups_version_is_refused_as_kubectl_refuses_it(isctl: Isctl):
    secret = MIXED.split("- apiVersion: rbac")[0].replace("kind: List\nitems:\n- ", "") \
        .replace("\n  ", "\n")
    wrong = secret.replace("apiVersion: v1\nkind: Secret",
                           "apiVersion: image.openshift.io/v1\nkind: Secret")
    result = isctl("create", "-f", "-", stdin=wrong)
    assert (result.code, result.out, result.err) == (
        1, "", 'error: no matches for kind "Secret" in version "image.openshift.io/v1"\n')
    assert isctl.ok("create", "-f", "-", stdin=secret) == "secret/quay-pull created\n"


def test_apply_secrets_and_role_bindings(isctl: Isctl):
    assert isctl.ok("apply", "-f", "-", stdin=MIXED) == (
        "secret/quay-pull created\n"
        "rolebinding.rbac.authorization.k8s.io/pullers created\n"
        "imagestream.image.openshift.io/python created\n"
        "imagestream.image.openshift.io/legacy created\n"
        "clusterrolebinding.rbac.authorization.k8s.io/auditors created\n")
    # a Secret's values are never read back: apply replaces it; the rest is unchanged
    assert isctl.ok("apply", "-f", "-", stdin=MIXED) == (
        "secret/quay-pull configured\n"
        "rolebinding.rbac.authorization.k8s.io/pullers unchanged\n"
        "imagestream.image.openshift.io/python unchanged\n"
        "imagestream.image.openshift.io/legacy unchanged\n"
        "clusterrolebinding.rbac.authorization.k8s.io/auditors unchanged\n")
    more = MIXED.replace(
        '  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:serviceaccounts:ci"}',
        '  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:serviceaccounts:ci"}'
        "\n  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}")
    out = isctl.ok("apply", "-f", "-", stdin=more)
    assert "rolebinding.rbac.authorization.k8s.io/pullers configured\n" in out
    binding = raw(isctl, f"{RBAC}/namespaces/default/rolebindings/pullers")
    assert [(s["kind"], s["name"]) for s in binding["subjects"]] == [
        ("Group", "system:serviceaccounts:ci"), ("User", "alice")]
    names = [b["metadata"]["name"]
             for b in raw(isctl, f"{RBAC}/namespaces/default/rolebindings")["items"]]
    assert names == ["pullers"]  # the stand-in that kept the group's access is gone
