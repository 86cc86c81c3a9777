"""`isctl login`, contexts and namespaces, the local stack's endpoint file, and precedence:
flags over ISCTL_* variables over the config file."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from isctl.cli import main

from .conftest import SERVER, Isctl


@pytest.fixture
def bare(isctl: Isctl) -> Isctl:
    """isctl with no ISCTL_SERVER or ISCTL_TOKEN: everything comes from login and the
    config file."""
    isctl.env.pop("ISCTL_SERVER")
    isctl.env.pop("ISCTL_TOKEN")
    return isctl


def config(isctl: Isctl) -> dict:
    return yaml.safe_load((Path(isctl.env["XDG_CONFIG_HOME"]) / "isctl" / "config.yaml")
                          .read_text())


def sent_tokens(isctl: Isctl) -> list:
    return [headers.get("Authorization") for headers in isctl.adapter.headers]


def test_login_writes_a_context_and_commands_use_it(bare: Isctl):
    token = bare.tokens["admin"]
    assert bare.ok("login", "--server", SERVER, "--token", token, "-n", "shop") == (
        f'Logged into "{SERVER}" using the token provided.\n\nUsing namespace "shop".\n')
    data = config(bare)
    assert data["current-context"] == "isctl.test"
    assert data["contexts"] == [{"name": "isctl.test", "context": {
        "server": SERVER, "token": token, "namespace": "shop"}}]
    path = Path(bare.env["XDG_CONFIG_HOME"]) / "isctl" / "config.yaml"
    assert path.stat().st_mode & 0o777 == 0o600
    bare.ok("tag", "--reference", "quay.io/a/b:1", "b:1")
    assert bare.api("GET", "/namespaces/shop/imagestreams/b")["spec"]["tags"][0]["reference"]
    assert sent_tokens(bare)[-1] == f"Bearer {token}"
    # -n and ISCTL_NAMESPACE override the context's namespace; the flag wins
    bare.env["ISCTL_NAMESPACE"] = "other"
    assert bare("get", "istag").err == "No resources found in other namespace.\n"
    # b:1 is a reference without an image, so not an istag; the stream is in shop
    assert bare.ok("get", "is", "-n", "shop", "-o", "name") == (
        "imagestream.image.openshift.io/b\n")


def test_token_precedence_and_no_token(bare: Isctl):
    result = bare("get", "is", "--server", SERVER)
    assert sent_tokens(bare)[-1] is None
    assert (result.code, result.err) == (
        1, "error: You must be logged in to the server (Unauthorized)\n")
    bare.ok("login", SERVER, "--token", bare.tokens["admin"])
    bare.env["ISCTL_TOKEN"] = bare.tokens["env"]
    bare.ok("get", "is")
    assert sent_tokens(bare)[-1] == f"Bearer {bare.tokens['env']}"
    bare.ok("get", "is", "--token", bare.tokens["flag"])
    assert sent_tokens(bare)[-1] == f"Bearer {bare.tokens['flag']}"


def test_a_contexts_token_goes_only_to_its_server(bare: Isctl):
    bare.ok("login", "--server", SERVER, "--token", bare.tokens["admin"])
    other = "http://elsewhere.test"
    bare.session.mount(other, bare.adapter)
    bare("get", "is", "--server", other)
    assert sent_tokens(bare)[-1] is None


def test_project_and_contexts(bare: Isctl):
    bare.ok("login", "--server", SERVER, "--context", "dev", "--token", bare.tokens["admin"])
    assert bare.ok("project") == f'Using namespace "default" on server "{SERVER}".\n'
    assert bare.ok("project", "team") == f'Now using namespace "team" on server "{SERVER}".\n'
    bare.ok("login", "--server", SERVER, "--context", "prod", "-n", "live", "--token",
            bare.tokens["admin"])
    out = bare.ok("config", "get-contexts")
    assert out.split("\n")[1].split() == ["dev", SERVER, "team"]
    assert out.split("\n")[2].split() == ["*", "prod", SERVER, "live"]
    assert bare.ok("config", "use-context", "dev") == 'Switched to context "dev".\n'
    assert bare.ok("config", "current-context") == "dev\n"
    assert bare("get", "is").err == "No resources found in team namespace.\n"
    assert bare("get", "is", "--context", "prod").err == "No resources found in live namespace.\n"
    assert bare("config", "use-context", "nope").err == (
        'error: no context exists with the name: "nope"\n')
    assert bare("get", "is", "--context", "nope").code == 1


def test_login_from_the_local_stack(bare: Isctl):
    (bare.cwd / ".local").mkdir()
    (bare.cwd / ".local" / "endpoint.json").write_text(json.dumps(
        {"api": SERVER, "token": bare.tokens["local"], "registry": "127.0.0.1:5002"}))
    nested = bare.cwd / "a" / "b"
    nested.mkdir(parents=True)
    # without any config, commands find the running stack by themselves
    assert bare("get", "is").err == "No resources found in default namespace.\n"
    assert sent_tokens(bare)[-1] == f"Bearer {bare.tokens['local']}"
    out = main(["login"], session=bare.session, env=bare.env, cwd=nested)
    assert out == 0
    assert config(bare)["contexts"][0]["context"] == {
        "server": SERVER, "token": bare.tokens["local"], "namespace": "default"}
    assert bare.ok("login", "--from-local").startswith(f'Logged into "{SERVER}"')


def test_login_errors(bare: Isctl):
    result = bare("login")
    assert result.code == 1 and result.err.startswith("error: no server given")
    result = bare("get", "is")
    assert result.code == 1 and result.err.startswith("error: no server configured")
    bare.session.mount("http://down.test", _Refusing())
    result = bare("login", "--server", "http://down.test")
    assert result.code == 1
    assert result.err == "error: Unable to connect to the server: connection refused\n"


def test_unauthorized_is_worded_as_kubectl_words_it(isctl: Isctl):
    isctl.session.mount("http://locked.test", _Unauthorized())
    result = isctl("get", "is", "--server", "http://locked.test")
    assert (result.code, result.err) == (
        1, "error: You must be logged in to the server (Unauthorized)\n")
    result = isctl("login", "--server", "http://locked.test", "--token", "bad")
    assert result.err == "error: The token provided is invalid or expired.\n"


class _Refusing:
    def send(self, request, **_):
        import requests
        raise requests.ConnectionError("connection refused")

    def close(self):
        pass


class _Unauthorized:
    def send(self, request, **_):
        import requests
        response = requests.Response()
        response.status_code = 401
        response.url = request.url
        if request.url.endswith("/v1"):  # discovery stays open
            response.status_code = 200
            response._content = b'{"resources": []}'
        else:
            response._content = json.dumps({
                "kind": "Status", "apiVersion": "v1", "status": "Failure",
                "message": "Unauthorized", "reason": "Unauthorized", "code": 401}).encode()
        return response

    def close(self):
        pass
