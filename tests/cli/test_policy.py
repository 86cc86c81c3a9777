"""`isctl policy`, `isctl adm policy`, `isctl create token` and `isctl whoami` against the real
app in process: oc's messages, the bindings oc would make, and what the grants then allow."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from .conftest import Isctl, digest, mapping

RBAC = "/apis/rbac.authorization.k8s.io/v1"
PULLER = "clusterrole.rbac.authorization.k8s.io/system:image-puller"
IMAGE = digest("a")


def bindings(isctl: Isctl, namespace: str = "default") -> dict[str, list[tuple]]:
    """Each binding's role and subjects, by name, as the server keeps them."""
    path = f"{RBAC}/namespaces/{namespace}/rolebindings" if namespace else \
        f"{RBAC}/clusterrolebindings"
    reply = isctl.adapter.client.http.request("GET", path, headers={
        "authorization": f"Bearer {isctl.tokens['admin']}"})
    found = {}
    for item in json.loads(reply.body)["items"]:
        subjects = [tuple(s.get(k) for k in ("kind", "name", "namespace", "apiGroup"))
                    for s in item["subjects"]]
        found[item["metadata"]["name"]] = [item["roleRef"]["name"]] + subjects
    return found


def user_token(isctl: Isctl, user: str) -> str:
    return isctl.ok("create", "token", "--user", user).strip()


@pytest.fixture
def python(isctl: Isctl) -> Isctl:
    """The stream python in `default`, its 3.5 tag pointing at IMAGE."""
    isctl.ok("create", "imagestream", "python")
    isctl.api("POST", "/namespaces/default/imagestreammappings",
              mapping("python", "3.5", IMAGE, f"centos/python-35-centos7@{IMAGE}"))
    return isctl


def test_add_role_to_user_as_oc_does_it(isctl: Isctl):
    assert isctl.ok("policy", "add-role-to-user", "system:image-puller", "alice") == (
        f'{PULLER} added: "alice"\n')
    rbac = "rbac.authorization.k8s.io"
    assert bindings(isctl) == {"system:image-puller": [
        "system:image-puller", ("User", "alice", None, rbac)]}
    # alice has it already: nothing is written, the same message
    before = len(isctl.adapter.requests)
    assert isctl.ok("policy", "add-role-to-user", "system:image-puller", "alice") == (
        f'{PULLER} added: "alice"\n')
    assert [m for m, _ in isctl.adapter.requests[before:]] == ["GET"]
    # new subjects get a binding of their own, named as oc names it; a service account
    # given as a user name is a ServiceAccount subject, -z one of the current namespace
    assert isctl.ok("policy", "add-role-to-user", "system:image-puller", "bob",
                    "system:serviceaccount:ci:builder", "-z", "deployer") == (
        f'{PULLER} added: ["bob" "system:serviceaccount:ci:builder" "deployer"]\n')
    assert bindings(isctl)["system:image-puller-0"] == [
        "system:image-puller", ("User", "bob", None, rbac),
        ("ServiceAccount", "builder", "ci", None),
        ("ServiceAccount", "deployer", "default", None)]
    assert isctl.ok("policy", "add-role-to-group", "view", "system:serviceaccounts:ci",
                    "-n", "team") == (
        'clusterrole.rbac.authorization.k8s.io/view added: "system:serviceaccounts:ci"\n')
    assert bindings(isctl, "team") == {"view": [
        "view", ("Group", "system:serviceaccounts:ci", None, rbac)]}


def test_a_named_binding_is_extended(isctl: Isctl):
    isctl.ok("policy", "add-role-to-user", "edit", "alice", "--rolebinding-name", "editors")
    isctl.ok("policy", "add-role-to-user", "edit", "bob", "--rolebinding-name", "editors")
    assert [s[1] for s in bindings(isctl)["editors"][1:]] == ["alice", "bob"]
    result = isctl("policy", "add-role-to-user", "view", "carol", "--rolebinding-name",
                   "editors")
    assert (result.code, result.err) == (
        1, "error: rolebinding editors found for role edit, not view\n")


def test_remove_role_keeps_everyone_else_and_deletes_empty_bindings(isctl: Isctl):
    isctl.ok("policy", "add-role-to-user", "system:image-puller", "alice", "bob")
    isctl.ok("policy", "add-role-to-group", "system:image-puller", "system:serviceaccounts:ci")
    before = len(isctl.adapter.requests)
    assert isctl.ok("policy", "remove-role-from-user", "system:image-puller", "alice") == (
        f'{PULLER} removed: "alice"\n')
    # no update for bindings: bob's moves to a stand-in before his binding is made again
    binding = f"{RBAC}/namespaces/default/rolebindings"
    assert isctl.adapter.requests[before:] == [
        ("GET", f"{binding}?limit=500"), ("POST", binding),
        ("DELETE", f"{binding}/system:image-puller"), ("POST", binding),
        ("DELETE", f"{binding}/system:image-puller-update")]
    assert {name: [s[1] for s in found[1:]] for name, found in bindings(isctl).items()} == {
        "system:image-puller": ["bob"], "system:image-puller-0": ["system:serviceaccounts:ci"]}
    assert isctl.ok("policy", "remove-role-from-group", "system:image-puller",
                    "system:serviceaccounts:ci") == (
        f'{PULLER} removed: "system:serviceaccounts:ci"\n')
    assert list(bindings(isctl)) == ["system:image-puller"]
    result = isctl("policy", "remove-role-from-user", "system:image-puller", "carol")
    assert (result.code, result.err) == (1, "error: unable to find target [carol]\n")
    result = isctl("policy", "remove-role-from-user", "admin", "bob")
    assert (result.code, result.err) == (
        1, 'error: unable to locate any RoleBinding for ClusterRole "admin"\n')


def test_cluster_roles(isctl: Isctl):
    assert isctl.ok("adm", "policy", "add-cluster-role-to-user", "cluster-reader",
                    "auditor") == (
        'clusterrole.rbac.authorization.k8s.io/cluster-reader added: "auditor"\n')
    assert bindings(isctl, "")["cluster-reader"][1][:2] == ("User", "auditor")
    assert isctl.ok("adm", "policy", "add-cluster-role-to-group", "system:image-puller",
                    "system:serviceaccounts") == (
        f'{PULLER} added: "system:serviceaccounts"\n')
    auditor = user_token(isctl, "auditor")
    assert isctl.ok("get", "is", "-n", "anywhere", "--token", auditor) == ""
    assert isctl.ok("adm", "policy", "remove-cluster-role-from-user", "cluster-reader",
                    "auditor") == (
        'clusterrole.rbac.authorization.k8s.io/cluster-reader removed: "auditor"\n')
    assert isctl.ok("adm", "policy", "remove-cluster-role-from-group", "system:image-puller",
                    "system:serviceaccounts") == (
        f'{PULLER} removed: "system:serviceaccounts"\n')
    assert "cluster-reader" not in bindings(isctl, "")
    result = isctl("get", "is", "-n", "anywhere", "--token", auditor)
    assert result.code == 1 and "Forbidden" in result.err
    # `adm policy` has the namespace commands too, as oc's does
    assert isctl.ok("adm", "policy", "add-role-to-user", "view", "auditor") == (
        'clusterrole.rbac.authorization.k8s.io/view added: "auditor"\n')


def test_a_puller_reads_the_image_but_cannot_tag(python: Isctl):
    python.ok("policy", "add-role-to-user", "system:image-puller", "alice")
    alice = user_token(python, "alice")
    assert python.ok("whoami", "--token", alice) == "alice\n"
    assert python.ok("get", "istag", "python:3.5", "--token", alice, "-o", "name") == (
        "imagestreamtag.image.openshift.io/python:3.5\n")
    assert python.ok("describe", "istag/python:3.5", "--token", alice).startswith(
        f"Image Name:\t{IMAGE}\nDocker Image:\tcentos/python-35-centos7@{IMAGE}\n")
    assert python.ok("get", "isimage", f"python@{IMAGE[:19]}", "--token", alice,
                     "-o", "name") == f"imagestreamimage.image.openshift.io/python@{IMAGE}\n"
    result = python("tag", "python:3.5", "python:mine", "--token", alice)
    assert result.code == 1
    # oc creates the tag when it may not update it (so does isctl): the create is refused
    assert result.err == ('Error from server (Forbidden): User "alice" cannot create resource '
                          '"imagestreamtags" in the namespace "default"\n')
    python.ok("policy", "remove-role-from-user", "system:image-puller", "alice")
    result = python("get", "istag", "python:3.5", "--token", alice)
    assert result.code == 1 and result.err.startswith("Error from server (Forbidden)")


def test_service_account_tokens(python: Isctl):
    python.ok("policy", "add-role-to-group", "system:image-puller", "system:serviceaccounts:ci")
    token = python.ok("create", "token", "builder", "-n", "ci").strip()
    assert token.startswith("isk_")
    assert python.ok("whoami", "--token", token) == "system:serviceaccount:ci:builder\n"
    assert python.ok("get", "istag", "python:3.5", "-o", "name", "--token", token) == (
        "imagestreamtag.image.openshift.io/python:3.5\n")
    # --duration sets the expiry: the token stops working once it has passed
    short = python.ok("create", "token", "builder", "-n", "ci", "--duration", "10m").strip()
    assert python.ok("whoami", "--token", short) == "system:serviceaccount:ci:builder\n"
    python.clock.later(timedelta(minutes=11).total_seconds())
    result = python("whoami", "--token", short)
    assert (result.code, result.err) == (
        1, "error: You must be logged in to the server (the bearer token has expired)\n")


def test_whoami_t_prints_the_token_in_use(isctl: Isctl):
    assert isctl.ok("whoami", "-t") == isctl.tokens["admin"] + "\n"
    assert isctl.ok("whoami", "--show-server") == "http://isctl.test\n"
    result = isctl("whoami", "-t", "--token", "")
    assert (result.code, result.err) == (
        1, "error: no token is currently in use for this session\n")


@pytest.mark.parametrize("command, args, message", [
    ("policy add-role-to-user", ["view"], "you must specify at least one user or service "
                                          "account"),
    ("policy add-role-to-group", ["view"], "you must specify at least two arguments: "
                                           "<role> <group> [group]..."),
    ("policy remove-role-from-user", ["view", "-z", "system:serviceaccount:ci:builder"],
     "--serviceaccount (-z) should only be used with short-form serviceaccount names "
     "(e.g. `default`)"),
    ("adm policy add-cluster-role-to-user", [], "Missing argument 'ROLE'."),
    ("create token", [], "exactly one of SERVICEACCOUNT or --user is required"),
    ("create token", ["builder", "--duration", "soon"],
     "Invalid value for '--duration': time: invalid duration \"soon\""),
    ("create token", ["builder", "--duration", "-5m"],
     "--duration must be greater than or equal to 0"),
    ("create token", ["builder", "--duration", "1500ms"],
     "--duration cannot be expressed in units less than seconds"),
    ("whoami", ["extra"], "Got unexpected extra argument (extra)"),
])
def test_usage_errors_exit_2(isctl: Isctl, command: str, args: list[str], message: str):
    before = len(isctl.adapter.requests)
    result = isctl(*command.split(), *args)
    assert (result.code, result.err) == (
        2, f"error: {message}\nSee 'isctl {command} -h' for help and examples\n")
    assert len(isctl.adapter.requests) == before
