"""What the narrowed grants refuse: the calls each function makes are allowed
(test_least_privilege.py); these are neighbouring ones it never makes."""
from __future__ import annotations

import pytest

from . import deployment
from .aws_requests import RecordedCall, authorizations
from .policy_evaluator import Authorization, denied
from .scenarios import REGION, Recording

STREAM_TAG = "imagestreams.dev/stream"
REPOSITORY_CREATORS = ["app", "record_ecr_push", "reconcile_ecr_pushes"]


def allowed(recording: Recording, function: str, service: str, operation: str,
            **params: object) -> bool:
    """Whether every authorization of the call is allowed by the function's policy."""
    call = RecordedCall(function, service, operation, params, REGION)
    needed = authorizations(call, recording.facts.account, recording.keys)
    return all(not denied(deployment.policy(function, stage, recording.facts), needed)
               for stage in deployment.stages())


@pytest.mark.parametrize("function", REPOSITORY_CREATORS)
def test_a_repository_is_created_only_as_a_streams_with_the_stream_tag(
        recording: Recording, function: str) -> None:
    stream_tag = {"Key": STREAM_TAG, "Value": "shop/web"}
    assert allowed(recording, function, "ecr", "CreateRepository", repositoryName="shop/web",
                   tags=[stream_tag])
    assert not allowed(recording, function, "ecr", "CreateRepository",
                       repositoryName="shop/web")  # untagged
    assert not allowed(recording, function, "ecr", "CreateRepository", repositoryName="shop/web",
                       tags=[stream_tag, {"Key": "owner", "Value": "me"}])  # other tags too
    assert not allowed(recording, function, "ecr", "CreateRepository", repositoryName="toplevel",
                       tags=[{"Key": STREAM_TAG, "Value": "toplevel"}])  # no stream's name
    assert not allowed(recording, function, "ecr", "TagResource",
                       resourceArn=f"arn:aws:ecr:{REGION}:{recording.facts.account}:"
                                   "repository/shop/web",
                       tags=[{"Key": "owner", "Value": "me"}])


@pytest.mark.parametrize("function", REPOSITORY_CREATORS)
def test_only_a_streams_repository_gets_a_policy_set(recording: Recording,
                                                     function: str) -> None:
    assert allowed(recording, function, "ecr", "SetRepositoryPolicy", repositoryName="shop/web")
    assert not allowed(recording, function, "ecr", "SetRepositoryPolicy",
                       repositoryName="toplevel")  # no stream's name
    assert not allowed(recording, function, "ecr", "SetRepositoryPolicy",
                       repositoryName="shop/web", registryId="999988887777")  # another account


@pytest.mark.parametrize("function", ["reimport_scheduled_tags", "token_authorizer",
                                      "publish_tag_changes"])
def test_functions_creating_no_repository_set_no_policy(recording: Recording,
                                                         function: str) -> None:
    assert not allowed(recording, function, "ecr", "SetRepositoryPolicy",
                       repositoryName="shop/web")


@pytest.mark.parametrize("partition", ["IS#shop/web", "RB#shop", "CRB", "IMG#sha256:0",
                                       "PUBLISHED#1", "TRG#shop/web"])
def test_the_authorizer_reads_token_items_and_nothing_else(recording: Recording,
                                                           partition: str) -> None:
    table = recording.facts.ref("ImageStreamsTable")

    def get(pk: str) -> bool:
        return allowed(recording, "token_authorizer", "dynamodb", "GetItem", TableName=table,
                       Key={"PK": {"S": pk}, "SK": {"S": "#"}})

    assert get("TOKEN#0123")
    assert not get(partition)


@pytest.mark.parametrize("function", ["reimport_scheduled_tags", "token_authorizer",
                                      "publish_tag_changes", "record_ecr_push"])
def test_only_the_api_reads_the_registry_webhook_secret(recording: Recording,
                                                        function: str) -> None:
    secret = recording.facts.ref("WebhookSharedSecret")
    assert allowed(recording, "app", "secretsmanager", "GetSecretValue", SecretId=secret)
    assert not allowed(recording, function, "secretsmanager", "GetSecretValue",
                       SecretId=secret)


def test_the_publisher_uses_the_topics_key_only_through_sns_for_its_topic(
        recording: Recording) -> None:
    topic = recording.facts.ref("TagEventsTopic")
    assert allowed(recording, "publish_tag_changes", "sns", "Publish", TopicArn=topic)
    key = recording.keys.topic_keys[topic]
    account = recording.facts.account
    through_sns = {"kms:ViaService": (f"sns.{REGION}.amazonaws.com",),
                   "kms:CallerAccount": (account,)}
    policy = deployment.policy("publish_tag_changes", "dev", recording.facts)
    other_topic = f"arn:aws:sns:{REGION}:{account}:another-topic"
    assert not denied(policy, [Authorization("kms:GenerateDataKey", key, {
        **through_sns, "kms:EncryptionContext:aws:sns:topicArn": (topic,)})])
    assert denied(policy, [Authorization("kms:GenerateDataKey", key, {
        **through_sns, "kms:EncryptionContext:aws:sns:topicArn": (other_topic,)})])
    assert denied(policy, [Authorization("kms:Decrypt", key, {
        "kms:ViaService": (f"s3.{REGION}.amazonaws.com",), "kms:CallerAccount": (account,)})])
