"""The registry webhook's shared secret: in Secrets Manager, read once per container (on
the first notification that sends a bearer token), never answered or logged; a secret that
cannot be read is 503 (the registry sends the notification again), never 500."""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from moto import mock_aws

from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.adapters.secrets_manager import SharedSecret
from tests.api.conftest import Api, serving

REGION = "us-east-1"
VALUE = "s3cret-Value-that-must-never-be-echoed"
EMPTY_ENVELOPE = {"events": []}


class CountingClient:
    """A Secrets Manager client that counts GetSecretValue calls."""

    def __init__(self, client: Any):
        self._client = client
        self.reads = 0

    def get_secret_value(self, **kwargs: Any) -> Any:
        self.reads += 1
        return self._client.get_secret_value(**kwargs)


@pytest.fixture
def secretsmanager() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION,
                           aws_access_key_id="testing", aws_secret_access_key="testing")


def notify(api: Api, header: str | None) -> Any:
    headers = {"Authorization": header} if header is not None else {}
    response = api.client.http.request("POST", "/webhooks/registry",
                                       body=json.dumps(EMPTY_ENVELOPE).encode(),
                                       headers={"content-type": "application/json", **headers})
    response.data = json.loads(response.body)
    return response


def api_with(secret: Any) -> Iterator[Api]:
    return serving(wiring.Services(MemoryStore(), "registry.test:5000", webhook_secret=secret))


def test_the_secret_is_read_once_on_the_first_notification_that_sends_a_token(
        secretsmanager: Any) -> None:
    arn = secretsmanager.create_secret(Name="stack-registry-webhook", SecretString=VALUE)["ARN"]
    client = CountingClient(secretsmanager)
    for api in api_with(SharedSecret(lambda: client, arn)):
        assert notify(api, None).status_code == 401
        assert notify(api, "Basic abc").status_code == 401
        assert client.reads == 0  # no bearer token: nothing to compare, nothing read
        for _ in range(3):
            accepted = notify(api, f"Bearer {VALUE}")
            assert accepted.status_code == 200, accepted.data
        refused = notify(api, "Bearer wrong")
        assert refused.status_code == 401 and VALUE.encode() not in refused.body
        assert client.reads == 1


def test_a_missing_secret_is_503_without_the_secret_and_read_again_later(
        secretsmanager: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:stack-registry-webhook"
    client = CountingClient(secretsmanager)
    for api in api_with(SharedSecret(lambda: client, "stack-registry-webhook")):
        missing = notify(api, f"Bearer {VALUE}")
        assert missing.status_code == 503, missing.data
        assert missing.data["reason"] == "ServiceUnavailable"
        assert missing.headers.get("Retry-After")
        assert arn.rsplit(":", 1)[1] in caplog.text  # the log says which secret failed
        # Once the secret exists, the next notification reads it: a failure is not kept.
        secretsmanager.create_secret(Name="stack-registry-webhook", SecretString=VALUE)
        caplog.clear()  # the test's own request above is logged with the value
        assert notify(api, f"Bearer {VALUE}").status_code == 200
        assert notify(api, "Bearer wrong").status_code == 401
        assert client.reads == 2
    assert "GetSecretValue" in caplog.text  # botocore's debug log ran, without the value
    assert VALUE not in caplog.text


def test_an_unreachable_or_refused_secret_store_is_503(secretsmanager: Any) -> None:
    class Unreachable:
        def get_secret_value(self, **_: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="https://secretsmanager.test")

    class Refused:
        def __init__(self) -> None:
            self.error = secretsmanager.exceptions.ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}},
                "GetSecretValue")

        def get_secret_value(self, **_: Any) -> Any:
            raise self.error

    for client in (Unreachable(), Refused()):
        for api in api_with(SharedSecret(lambda: client, "stack-registry-webhook")):
            answer = notify(api, f"Bearer {VALUE}")
            assert answer.status_code == 503, answer.data
            assert answer.data["kind"] == "Status"


def test_a_secret_without_a_string_refuses_every_notification(secretsmanager: Any) -> None:
    arn = secretsmanager.create_secret(Name="stack-registry-webhook",
                                       SecretBinary=b"\x00")["ARN"]
    for api in api_with(SharedSecret(lambda: secretsmanager, arn)):
        assert notify(api, "Bearer anything").status_code == 401


def test_services_read_the_secret_named_by_the_environment(
        secretsmanager: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deployment gives the API function REGISTRY_WEBHOOK_SECRET_ARN only."""
    arn = secretsmanager.create_secret(Name="stack-registry-webhook", SecretString=VALUE)["ARN"]
    monkeypatch.setenv("TABLE_NAME", "imagestreams")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("REGISTRY_WEBHOOK_SECRET_ARN", arn)
    monkeypatch.delenv("IMAGESTREAMS_STORE", raising=False)
    assert wiring._from_environment().webhook_secret == VALUE
    monkeypatch.delenv("REGISTRY_WEBHOOK_SECRET_ARN")
    assert wiring._from_environment().webhook_secret == ""  # none given: all refused
