"""Basic and token authentication against real registries; secrets never leak."""
from __future__ import annotations

import base64
import logging
import time

import pytest

from chalicelib.registry import (
    Credentials,
    DockerConfigCredentials,
    RegistryClient,
    RegistryError,
    RegistryUnauthorized,
)
from testbed.oci_layout import BuiltImage
from testbed.registry import SERVICE, RegistryServer
from tests.registry.conftest import FAST, LOOPBACK


def client_for(registry: RegistryServer, password: str = "") -> RegistryClient:
    username, real_password = registry.credentials
    config = {"auths": {f"http://{registry.host}/v2/": {
        "auth": base64.b64encode(f"{username}:{password or real_password}".encode()).decode()}}}
    return RegistryClient(credentials=DockerConfigCredentials(config), policy=LOOPBACK, settings=FAST)


def test_basic_auth_with_good_credentials(basic_registry: RegistryServer,
                                          private_image: BuiltImage) -> None:
    client = client_for(basic_registry)
    reference = f"{basic_registry.host}/private/app:1.0"
    assert client.resolve(reference, insecure=True) == private_image.digest
    assert client.fetch_image(reference, insecure=True).digest == private_image.digest


@pytest.mark.parametrize("password", ["wrong-password", None])
def test_basic_auth_refuses_bad_or_missing_credentials(basic_registry: RegistryServer,
                                                       private_image: BuiltImage,
                                                       password: str) -> None:
    client = client_for(basic_registry, password) if password else RegistryClient(policy=LOOPBACK)
    with pytest.raises(RegistryUnauthorized):
        client.resolve(f"{basic_registry.host}/private/app:1.0", insecure=True)


def test_token_auth_asks_for_pull_scope_once(token_registry: RegistryServer,
                                             private_image: BuiltImage) -> None:
    tokens = token_registry.token_server
    client = client_for(token_registry)
    reference = f"{token_registry.host}/private/app:1.0"
    before = len(tokens.requests)
    assert client.resolve(reference, insecure=True) == private_image.digest
    assert client.resolve(reference, insecure=True) == private_image.digest
    assert client.fetch_image(reference, insecure=True).digest == private_image.digest
    asked = tokens.requests[before:]
    assert [(r["user"], r["service"], r["scopes"]) for r in asked] == [
        ("bob", SERVICE, ["repository:private/app:pull"])]
    # Known challenge and cached token: the second resolve was one HEAD, sent with the token.
    assert client.counter.get(tokens.url.split("/")[2]) == 1


def test_token_is_renewed_after_it_expires(token_registry: RegistryServer,
                                           private_image: BuiltImage,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = token_registry.token_server
    monkeypatch.setattr(tokens, "lifetime", 1)
    client = client_for(token_registry)
    reference = f"{token_registry.host}/private/app:1.0"
    before = len(tokens.requests)
    client.resolve(reference, insecure=True)
    time.sleep(1.0)
    client.resolve(reference, insecure=True)
    assert len(tokens.requests) - before == 2


def test_token_auth_refuses_anonymous_and_wrong_credentials(token_registry: RegistryServer,
                                                            private_image: BuiltImage) -> None:
    reference = f"{token_registry.host}/private/app:1.0"
    with pytest.raises(RegistryUnauthorized) as anonymous:
        RegistryClient(policy=LOOPBACK).resolve(reference, insecure=True)
    assert "private/app" in str(anonymous.value)
    with pytest.raises(RegistryUnauthorized) as wrong:
        client_for(token_registry, "wrong-password").resolve(reference, insecure=True)
    assert "refused the credentials" in str(wrong.value)


def test_secrets_never_appear_in_logs_errors_or_reprs(basic_registry: RegistryServer,
                                                      token_registry: RegistryServer,
                                                      private_image: BuiltImage,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # Loggers given a level of their own earlier in the run: the app's (chalicelib.logs, when
    # app.py is imported) and urllib3's (the kubernetes client sets it to WARNING).
    for name in ("chalicelib", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    texts: list[str] = []
    for registry in (basic_registry, token_registry):
        reference = f"{registry.host}/private/app:1.0"
        good = client_for(registry)
        good.fetch_image(reference, insecure=True)
        texts += [repr(good), repr(DockerConfigCredentials({"auths": {registry.host: {
            "username": registry.credentials[0], "password": registry.credentials[1]}}}))]
        for client in (client_for(registry, "wrong-password"), RegistryClient(policy=LOOPBACK)):
            with pytest.raises(RegistryError) as error:
                client.fetch_image(reference, insecure=True)
            texts += [str(error.value), repr(error.value)]
    texts.append(repr(Credentials("bob", "builder-token-secret")))
    issued = [r["token"] for r in token_registry.token_server.requests if r["token"]]
    assert issued, "the token server issued tokens during the test"
    secrets = [password for registry in (basic_registry, token_registry)
               for password in registry.users.values()] + ["wrong-password"] + issued
    secrets += [base64.b64encode(f"{user}:{password}".encode()).decode()
                for registry in (basic_registry, token_registry)
                for user, password in registry.users.items()]
    haystack = caplog.text + "\n".join(texts)
    assert "GET" in caplog.text  # the client did log its requests
    for secret in secrets:
        assert secret not in haystack
