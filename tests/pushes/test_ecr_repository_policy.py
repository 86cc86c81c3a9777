"""A new stream's ECR repository gets the policy the EcrRepositoryPushers and
EcrRepositoryPullers parameters give its namespace (moto ECR), set from the environment the
template gives the functions."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws

from chalicelib import wiring
from chalicelib.adapters.ecr_repositories import (
    PULL_ACTIONS,
    PUSH_ACTIONS,
    EcrRepositories,
    PrincipalsByPrefix,
)
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.domain.errors import ServiceUnavailable
from testbed.dynamodb import REGION

SERVICE_TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "service.json"
CI_A = "arn:aws:iam::111122223333:role/ci-a"
CI_B = "arn:aws:iam::444455556666:root"
AUDIT = "777788889999"


@pytest.fixture
def ecr(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto ECR, and the environment of a function creating repositories."""
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "ECR_CREATE_REPOSITORIES": "true",
                        "ECR_REPOSITORY_PUSHERS": f"team-a/={CI_A},team-={CI_B}",
                        "ECR_REPOSITORY_PULLERS": f"team-a/={AUDIT}"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(wiring, "_aws_session", None)  # a session of this environment
    with mock_aws():
        yield boto3.client("ecr", region_name=REGION)


def _create(services: wiring.Services, namespace: str, name: str) -> None:
    """What creating the stream does in ECR, with the repositories the stream service is
    wired with (tests/pushes/test_ecr_pushes.py creates streams through it)."""
    repositories = services.streams.repositories
    assert repositories is not None
    repositories.ensure(namespace, name)


def _policy(ecr: Any, repository: str) -> dict[str, Any]:
    return json.loads(ecr.get_repository_policy(repositoryName=repository)["policyText"])


def _grants(policy: dict[str, Any]) -> dict[tuple[str, ...], set[str]]:
    """Actions granted → the principals granted them."""
    found: dict[tuple[str, ...], set[str]] = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        found.setdefault(tuple(sorted(statement["Action"])), set()).update(
            statement["Principal"]["AWS"])
    return found


def test_a_stream_in_a_configured_namespace_gets_a_policy_naming_its_principals(ecr) -> None:
    _create(wiring.Services(MemoryStore()), "team-a", "web")
    assert _grants(_policy(ecr, "team-a/web")) == {
        tuple(sorted(PUSH_ACTIONS)): {CI_A, CI_B},  # team-a/ and team- both match
        tuple(sorted(PULL_ACTIONS)): {AUDIT}}


def test_a_prefix_without_its_slash_covers_every_namespace_starting_so(ecr) -> None:
    _create(wiring.Services(MemoryStore()), "team-b", "api")
    assert _grants(_policy(ecr, "team-b/api")) == {tuple(sorted(PUSH_ACTIONS)): {CI_B}}


def test_a_namespace_no_prefix_matches_gets_no_policy_and_keeps_its_own(ecr) -> None:
    services = wiring.Services(MemoryStore())
    _create(services, "shop", "web")
    with pytest.raises(ClientError) as refused:
        ecr.get_repository_policy(repositoryName="shop/web")
    assert refused.value.response["Error"]["Code"] == "RepositoryPolicyNotFoundException"
    # A repository someone gave a policy by hand, whose stream is created after.
    ecr.create_repository(repositoryName="shop/db")
    own = {"Version": "2012-10-17", "Statement": [{
        "Sid": "Own", "Effect": "Allow", "Principal": {"AWS": CI_B},
        "Action": ["ecr:BatchGetImage"]}]}
    ecr.set_repository_policy(repositoryName="shop/db", policyText=json.dumps(own))
    _create(services, "shop", "db")
    assert _policy(ecr, "shop/db") == own


def test_without_the_parameters_no_policy_is_set(ecr, monkeypatch) -> None:
    monkeypatch.setenv("ECR_REPOSITORY_PUSHERS", "")
    monkeypatch.setenv("ECR_REPOSITORY_PULLERS", "")
    _create(wiring.Services(MemoryStore()), "team-a", "web")
    assert ecr.describe_repositories(repositoryNames=["team-a/web"])["repositories"]
    with pytest.raises(ClientError):
        ecr.get_repository_policy(repositoryName="team-a/web")


def test_an_existing_repository_of_a_configured_namespace_gets_the_policy_too(ecr) -> None:
    """Made before a first push, or left by a deleted stream: the stack sets its policy."""
    ecr.create_repository(repositoryName="team-a/old")
    _create(wiring.Services(MemoryStore()), "team-a", "old")
    assert set().union(*_grants(_policy(ecr, "team-a/old")).values()) == {CI_A, CI_B, AUDIT}


class _PolicyFails:
    """moto's ECR, but SetRepositoryPolicy fails with `error` while it is set."""

    def __init__(self, real: Any):
        self.real = real
        self.error: Exception | None = None

    def set_repository_policy(self, **params: Any) -> Any:
        if self.error is not None:
            raise self.error
        return self.real.set_repository_policy(**params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.parametrize("error, said", [
    (ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}},
                 "SetRepositoryPolicy"), "setting the ECR repository's policy failed: "
                                         "ThrottlingException"),
    (EndpointConnectionError(endpoint_url="https://api.ecr.internal.example:4443/"),
     "setting the ECR repository's policy failed: ECR is unreachable; retry shortly"),
])
def test_a_failed_policy_is_unavailable_and_set_by_the_retry(ecr, error, said) -> None:
    client = _PolicyFails(ecr)
    client.error = error
    repositories = EcrRepositories(client, pushers=PrincipalsByPrefix.parse(
        f"team-a/={CI_A}", "ECR_REPOSITORY_PUSHERS"))
    with pytest.raises(ServiceUnavailable) as unavailable:
        repositories.ensure("team-a", "web")
    assert unavailable.value.message == said  # no endpoint, no AWS message
    client.error = None
    repositories.ensure("team-a", "web")  # the client's retry: the repository exists now
    assert _grants(_policy(ecr, "team-a/web")) == {tuple(sorted(PUSH_ACTIONS)): {CI_A}}


@pytest.mark.parametrize("setting, bad", [
    ("ECR_REPOSITORY_PUSHERS", "team-a/"),  # no principal
    ("ECR_REPOSITORY_PUSHERS", "=arn:aws:iam::111122223333:root"),  # no prefix
    ("ECR_REPOSITORY_PULLERS", "team-a/=*"),  # anyone
    ("ECR_REPOSITORY_PULLERS", "team-a/=arn:aws:iam::1111:role/ci"),  # not an account id
    ("ECR_REPOSITORY_PUSHERS", "Team-A/=111122223333"),  # no namespace starts so
    ("ECR_REPOSITORY_PUSHERS", "team-a/=arn:aws:sts::111122223333:assumed-role/ci/s"),
])
def test_a_bad_entry_is_refused_naming_the_setting_and_the_entry(
        ecr, monkeypatch, setting: str, bad: str) -> None:
    monkeypatch.setenv(setting, f"team-b/=111122223333,{bad}")
    with pytest.raises(ValueError) as refused:
        _create(wiring.Services(MemoryStore()), "team-a", "web")
    assert str(refused.value).startswith(f"{setting}: {bad!r} is not <namespace prefix>=")
    assert not ecr.describe_repositories()["repositories"]  # refused before any repository


SAMPLES = ["", f"team-a/={CI_A}", f"team-a/={CI_A},team-={CI_B},a.b/c={AUDIT}",
           "x=arn:aws-cn:iam::111122223333:user/path/name+=@.-_",
           "team-a/", ",team-a/=111122223333", "team-a/=111122223333,", " team-a/=111122223333",
           "team-a/=*", "team-a/=arn:aws:iam::111122223333:group/devs", "TEAM/=111122223333"]


@pytest.mark.parametrize("parameter", ["EcrRepositoryPushers", "EcrRepositoryPullers"])
@pytest.mark.parametrize("value", SAMPLES)
def test_cloudformation_refuses_at_deploy_what_the_functions_would_refuse(
        parameter: str, value: str) -> None:
    """The parameters' AllowedPattern and the functions' parser agree (the pattern has
    nothing beyond what Python's and Java's regular expressions share)."""
    spec = json.loads(SERVICE_TEMPLATE.read_text(encoding="utf-8"))["Parameters"][parameter]
    assert re.fullmatch(spec["AllowedPattern"], spec["Default"])
    try:
        PrincipalsByPrefix.parse(value, parameter)
        parsed = True
    except ValueError:
        parsed = False
    assert bool(re.fullmatch(spec["AllowedPattern"], value)) == parsed
