"""examples/lambda_deploy_on_tag on messages the service published (moto's Lambda): a move
points the function's image at the digest, publishes a version and moves the alias; a
redelivery, a late older message and a deleted tag change nothing; a rollback deploys the
older digest.

Where moto 5.2 differs from Lambda for functions packaged as images, the test does not
lean on it: moto takes any ImageUri without looking for it in ECR (its CodeSha256 is a hash
of the URI string, and its ResolvedImageUri is cut at the first colon); its published
versions share $LATEST's code settings, so every version reports the newest ImageUri (a
version's image is told here by its CodeSha256, which moto does keep per version); it
reports every update Successful at once (the deployer's wait never waits); it ignores
RevisionId on UpdateAlias and CodeSha256 on PublishVersion; and it cannot invoke an image
function at all.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.resources.stream import ImageStream, ImageStreamTag
from chalicelib.services.actor import SERVICE
from examples.lambda_deploy_on_tag.deployer import RECORD_PREFIX, FunctionTarget, deploy_all

from .conftest import client
from .function_deliveries import digest, message_of, push, subscribe_function

NS, STREAM = "shop", "api"
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
WATCHED = f"{NS}/{STREAM}:prod"
LIVE = FunctionTarget(function="shop-api", alias="live")


def reference(char: str) -> str:
    return f"{ECR}/{NS}/{STREAM}@{digest(char)}"


def image_function(lambda_client: Any, name: str, alias: str = "") -> None:
    """A function packaged as an image, its first version published, and its alias."""
    role = client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                  "Principal": {"Service": "lambda.amazonaws.com"}}]}
    ))["Role"]["Arn"]
    lambda_client.create_function(FunctionName=name, PackageType="Image", Role=role,
                                  Code={"ImageUri": f"{ECR}/{NS}/{STREAM}:bootstrap"},
                                  Environment={"Variables": {"MODE": "production"}},
                                  MemorySize=512, Timeout=30)
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    if alias:
        lambda_client.create_alias(FunctionName=name, Name=alias, FunctionVersion=version)


def code_of(image_uri: str) -> str:
    """The CodeSha256 moto gives the code of a function set to `image_uri` (Lambda's is
    the image's digest; moto's, a hash of the URI)."""
    return hashlib.sha256(image_uri.encode()).hexdigest()


def live_image(lambda_client: Any) -> tuple[str, str]:
    """(version, CodeSha256) the alias runs."""
    version = lambda_client.get_alias(FunctionName=LIVE.function, Name=LIVE.alias)[
        "FunctionVersion"]
    configuration = lambda_client.get_function_configuration(FunctionName=LIVE.function,
                                                             Qualifier=version)
    return version, configuration["CodeSha256"]


def versions(lambda_client: Any, name: str = LIVE.function) -> list[str]:
    return [v["Version"] for v in
            lambda_client.list_versions_by_function(FunctionName=name)["Versions"]
            if v["Version"] != "$LATEST"]


@pytest.fixture
def lambda_client(cloud):
    lambda_client = client("lambda")
    image_function(lambda_client, LIVE.function, LIVE.alias)
    cloud.services.streams.create(SERVICE, NS, ImageStream.model_validate({"metadata": {"name": STREAM}}))
    return lambda_client


def test_a_move_publishes_a_version_of_its_digest_and_moves_the_alias(cloud, lambda_client):
    prod = subscribe_function(cloud, NS, STREAM, "api-prod-deployer", tags=["prod"])
    push(cloud, NS, STREAM, "prod", "a", registry=ECR)
    [event] = prod.events()
    message = message_of(event)
    assert message["dockerImageReference"] == reference("a")

    [outcome] = deploy_all(event, lambda_client, LIVE, WATCHED)
    assert outcome == {"eventId": message["eventId"], "result": "deployed", "version": "2",
                       "image": reference("a"), "previous": ""}
    assert live_image(lambda_client) == ("2", code_of(reference("a")))
    latest = lambda_client.get_function(FunctionName=LIVE.function)["Code"]["ImageUri"]
    assert latest == reference("a")
    recorded = json.loads(lambda_client.get_alias(FunctionName=LIVE.function, Name=LIVE.alias)[
        "Description"])["imagestreams"]
    assert recorded == {"eventId": message["eventId"], "time": message["time"],
                        "sequence": message["sequence"], "generation": message["generation"]}
    published = lambda_client.get_function_configuration(FunctionName=LIVE.function,
                                                         Qualifier="2")
    assert json.loads(published["Description"])["imagestreams"] == recorded
    assert published["Environment"] == {"Variables": {"MODE": "production"}}

    [again] = deploy_all(event, lambda_client, LIVE, WATCHED)  # SNS delivers at least once
    assert again["result"] == "skipped" and "deployed already" in again["reason"]
    assert versions(lambda_client) == ["1", "2"] and live_image(lambda_client)[0] == "2"


def test_a_message_older_than_the_deployed_one_changes_nothing(cloud, lambda_client):
    prod = subscribe_function(cloud, NS, STREAM, "api-prod-deployer", tags=["prod"])
    earlier = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    later = datetime(2026, 3, 1, 12, 5, 0, tzinfo=UTC)
    push(cloud, NS, STREAM, "prod", "a", registry=ECR, at=earlier)
    push(cloud, NS, STREAM, "prod", "b", registry=ECR, at=later)
    first, second = prod.events()
    assert (message_of(first)["time"], message_of(second)["time"]) == (
        "2026-03-01T12:00:00Z", "2026-03-01T12:05:00Z")

    assert deploy_all(second, lambda_client, LIVE, WATCHED)[0]["result"] == "deployed"
    [late] = deploy_all(first, lambda_client, LIVE, WATCHED)
    assert late["result"] == "skipped" and late["reason"].startswith("older than")
    assert live_image(lambda_client) == ("2", code_of(reference("b")))
    assert versions(lambda_client) == ["1", "2"]


def test_a_rollback_deploys_the_older_digest_and_a_deleted_tag_nothing(cloud, lambda_client):
    prod = subscribe_function(cloud, NS, STREAM, "api-prod-deployer", tags=["prod"])
    push(cloud, NS, STREAM, "prod", "a", registry=ECR)
    push(cloud, NS, STREAM, "prod", "b", registry=ECR)
    for event in prod.events():
        deploy_all(event, lambda_client, LIVE, WATCHED)
    assert live_image(lambda_client) == ("3", code_of(reference("b")))

    cloud.services.tags.put(SERVICE, NS, f"{STREAM}:prod", ImageStreamTag.model_validate({"tag": {
        "from": {"kind": "ImageStreamImage", "name": f"{STREAM}@{digest('a')}"}}}), False)
    [rollback] = prod.events()
    assert message_of(rollback)["previous"]["dockerImageReference"] == reference("b")
    [outcome] = deploy_all(rollback, lambda_client, LIVE, WATCHED)
    assert (outcome["result"], outcome["version"]) == ("deployed", "4")
    assert live_image(lambda_client) == ("4", code_of(reference("a")))

    cloud.services.tags.delete(SERVICE, NS, f"{STREAM}:prod")
    [deleted] = prod.events()
    [nothing] = deploy_all(deleted, lambda_client, LIVE, WATCHED)
    assert nothing["reason"] == "Deleted: nothing to deploy"
    assert live_image(lambda_client) == ("4", code_of(reference("a")))
    assert versions(lambda_client) == ["1", "2", "3", "4"]


def test_without_an_alias_the_function_itself_runs_the_digest(cloud, lambda_client):
    image_function(lambda_client, "shop-api-staging")
    staging = FunctionTarget(function="shop-api-staging")
    deliveries = subscribe_function(cloud, NS, STREAM, "api-staging-deployer",
                                    tags=["staging"])
    push(cloud, NS, STREAM, "staging", "c", registry=ECR)
    [event] = deliveries.events()
    [outcome] = deploy_all(event, lambda_client, staging, f"{NS}/{STREAM}:staging")
    assert outcome["result"] == "deployed"
    function = lambda_client.get_function(FunctionName=staging.function)
    assert function["Code"]["ImageUri"] == reference("c")
    # The record is in the function's tags, since no alias holds one.
    assert function["Tags"][f"{RECORD_PREFIX}event-id"] == message_of(event)["eventId"]
    [again] = deploy_all(event, lambda_client, staging, f"{NS}/{STREAM}:staging")
    assert again["result"] == "skipped"
    assert versions(lambda_client, staging.function) == ["1", "2"]
