"""Docker Hub naming, dockerconfigjson credentials and WWW-Authenticate parsing (no network)."""
from __future__ import annotations

import base64
import json

import pytest

from chalicelib.registry import Credentials, DockerConfigCredentials, locate
from chalicelib.registry.auth import parse_challenge

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize("reference, expected", [
    ("python:3.6", ("docker.io", "registry-1.docker.io", "library/python", "3.6", "")),
    ("python", ("docker.io", "registry-1.docker.io", "library/python", "latest", "")),
    ("docker.io/python:3.6", ("docker.io", "registry-1.docker.io", "library/python", "3.6", "")),
    ("openshift/origin:v3", ("docker.io", "registry-1.docker.io", "openshift/origin", "v3", "")),
    (f"quay.io/org/app@{DIGEST}", ("quay.io", "quay.io", "org/app", "", DIGEST)),
    ("localhost:5000/app", ("localhost:5000", "localhost:5000", "app", "latest", "")),
])
def test_locate(reference: str, expected: tuple) -> None:
    location = locate(reference)
    assert (location.registry, location.host, location.repository, location.tag,
            location.digest) == expected
    assert location.name == f"{expected[0]}/{expected[2]}"


def auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_dockerconfigjson_forms_and_host_matching() -> None:
    source = DockerConfigCredentials(json.dumps({"auths": {
        "https://index.docker.io/v1/": {"auth": auth("hub", "hub-pw")},
        "https://quay.io": {"username": "quay", "password": "quay-pw"},
        "registry.example.com:5000/v1/": {"auth": auth("ex", "p:with:colons")},
    }}))
    assert source("docker.io") == Credentials("hub", "hub-pw")
    assert source("registry-1.docker.io") == Credentials("hub", "hub-pw")
    assert source("quay.io") == Credentials("quay", "quay-pw")
    assert source("QUAY.IO") == Credentials("quay", "quay-pw")
    assert source("registry.example.com:5000") == Credentials("ex", "p:with:colons")
    assert source("registry.example.com") is None
    assert source("ghcr.io") is None
    assert source.hosts == ["docker.io", "quay.io", "registry.example.com:5000"]


def test_legacy_dockercfg_and_bytes() -> None:
    source = DockerConfigCredentials(json.dumps({"quay.io": {"auth": auth("a", "b")}}).encode())
    assert source("quay.io") == Credentials("a", "b")


@pytest.mark.parametrize("content", [
    "[]", '{"auths": []}', '{"auths": {"h": "x"}}', '{"auths": {"h": {"auth": "%%%"}}}',
    json.dumps({"auths": {"h": {"auth": base64.b64encode(b"no-colon-secret").decode()}}}),
    '{"auths": {"h": {"email": "x"}}}',
])
def test_invalid_dockerconfigjson(content: str) -> None:
    with pytest.raises(ValueError) as error:
        DockerConfigCredentials(content)
    assert "secret" not in str(error.value)


def test_credentials_do_not_print_their_password() -> None:
    credentials = Credentials("user", "s3cret-value")
    source = DockerConfigCredentials({"auths": {"h": {"username": "user", "password": "s3cret-value"}}})
    for text in (repr(credentials), str(credentials), repr(source), str(source)):
        assert "s3cret-value" not in text


def test_parse_challenge() -> None:
    challenge = parse_challenge('Bearer realm="https://auth.example/token",service="registry.example",'
                                'scope="repository:a/b:pull,push",error="insufficient_scope"')
    assert challenge.scheme == "bearer"
    assert challenge.params == {"realm": "https://auth.example/token", "service": "registry.example",
                                "scope": "repository:a/b:pull,push", "error": "insufficient_scope"}
    assert parse_challenge('Basic realm="Registry Realm"').params == {"realm": "Registry Realm"}
    assert parse_challenge("") is None
