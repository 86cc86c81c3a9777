"""Each request maps to the authorizations AWS makes for it."""
from __future__ import annotations

from typing import Any

import pytest

from .aws_requests import SECRET_SUFFIX, KeySchemas, NotModelled, RecordedCall, authorizations

ACCOUNT = "123456789012"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t"
KEYS = KeySchemas({"t": "PK"}, {("t", "GSI1"): "GSI1PK"})


def needs(service: str, operation: str, **params: Any) -> list[tuple[str, str, dict]]:
    call = RecordedCall("f", service, operation, params, "us-east-1")
    return [(a.action, a.resource, dict(a.context))
            for a in authorizations(call, ACCOUNT, KEYS)]


def key(pk: str, sk: str = "#") -> dict:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def test_item_requests_carry_the_partition_key_as_leading_key() -> None:
    assert needs("dynamodb", "GetItem", TableName="t", Key=key("TOKEN#a")) == [
        ("dynamodb:GetItem", TABLE, {"dynamodb:LeadingKeys": ("TOKEN#a",)})]
    assert needs("dynamodb", "PutItem", TableName=TABLE, Item={**key("IS#a"), "x": {"N": "1"}}
                 ) == [("dynamodb:PutItem", TABLE, {"dynamodb:LeadingKeys": ("IS#a",)})]


def test_a_transaction_is_authorized_per_item_as_that_items_own_action() -> None:
    assert needs("dynamodb", "TransactWriteItems", TransactItems=[
        {"ConditionCheck": {"TableName": "t", "Key": key("IS#a"), "ConditionExpression": "x"}},
        {"Put": {"TableName": "t", "Item": key("IS#a", "T#1")}},
        {"Update": {"TableName": "t", "Key": key("CHANGES#n"), "UpdateExpression": "x"}},
        {"Delete": {"TableName": "t", "Key": key("IS#b")}},
    ]) == [("dynamodb:ConditionCheckItem", TABLE, {"dynamodb:LeadingKeys": ("IS#a",)}),
           ("dynamodb:PutItem", TABLE, {"dynamodb:LeadingKeys": ("IS#a",)}),
           ("dynamodb:UpdateItem", TABLE, {"dynamodb:LeadingKeys": ("CHANGES#n",)}),
           ("dynamodb:DeleteItem", TABLE, {"dynamodb:LeadingKeys": ("IS#b",)})]
    assert needs("dynamodb", "TransactGetItems", TransactItems=[
        {"Get": {"TableName": "t", "Key": key("X")}}])[0][0] == "dynamodb:GetItem"


def test_batches_are_their_own_actions_with_every_partition_touched() -> None:
    assert needs("dynamodb", "BatchWriteItem", RequestItems={"t": [
        {"PutRequest": {"Item": key("PUBLISHED#1")}},
        {"DeleteRequest": {"Key": key("PUBLISHED#2")}},
        {"PutRequest": {"Item": key("PUBLISHED#1", "x")}}]}) == [
        ("dynamodb:BatchWriteItem", TABLE,
         {"dynamodb:LeadingKeys": ("PUBLISHED#1", "PUBLISHED#2")})]
    assert needs("dynamodb", "BatchGetItem", RequestItems={"t": {"Keys": [key("A"), key("B")]}}
                 ) == [("dynamodb:BatchGetItem", TABLE, {"dynamodb:LeadingKeys": ("A", "B")})]


def test_a_query_names_its_partition_on_the_table_or_the_index() -> None:
    assert needs("dynamodb", "Query", TableName="t",
                 KeyConditionExpression="PK = :pk AND SK BETWEEN :first AND :last",
                 ExpressionAttributeValues={":pk": {"S": "CHANGES#n"}, ":first": {"S": "a"},
                                            ":last": {"S": "b"}}) == [
        ("dynamodb:Query", TABLE, {"dynamodb:LeadingKeys": ("CHANGES#n",)})]
    assert needs("dynamodb", "Query", TableName="t", IndexName="GSI1",
                 KeyConditionExpression="#p = :p AND begins_with(GSI1SK, :s)",
                 ExpressionAttributeNames={"#p": "GSI1PK"},
                 ExpressionAttributeValues={":p": {"S": "NS#a"}, ":s": {"S": "x"}}) == [
        ("dynamodb:Query", f"{TABLE}/index/GSI1", {"dynamodb:LeadingKeys": ("NS#a",)})]
    with pytest.raises(NotModelled):  # a range condition is no partition key
        needs("dynamodb", "Query", TableName="t", KeyConditionExpression="PK <= :v",
              ExpressionAttributeValues={":v": {"S": "x"}})


def test_stream_reads_are_dynamodb_actions_on_the_stream() -> None:
    stream = f"{TABLE}/stream/2026"
    assert needs("dynamodbstreams", "DescribeStream", StreamArn=stream) == [
        ("dynamodb:DescribeStream", stream, {})]
    call = RecordedCall("f", "dynamodbstreams", "GetRecords", {"ShardIterator": "i"},
                        "us-east-1", stream_arn=stream)
    assert [a.resource for a in authorizations(call, ACCOUNT, KEYS)] == [stream]
    with pytest.raises(NotModelled):
        needs("dynamodbstreams", "GetRecords", ShardIterator="unknown")


def test_creating_a_tagged_repository_is_also_tagging_it() -> None:
    repository = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/shop/web"
    tags = {"aws:RequestTag/imagestreams.dev/stream": ("shop/web",),
            "aws:TagKeys": ("imagestreams.dev/stream",)}
    assert needs("ecr", "CreateRepository", repositoryName="shop/web", tags=[
        {"Key": "imagestreams.dev/stream", "Value": "shop/web"}]) == [
        ("ecr:CreateRepository", repository, tags), ("ecr:TagResource", repository, tags)]
    assert needs("ecr", "CreateRepository", repositoryName="shop/web") == [
        ("ecr:CreateRepository", repository, {})]


def test_setting_a_repository_policy_is_on_the_repository_whatever_the_policy_says() -> None:
    # No condition key carries the policy's text: IAM can narrow the repository only.
    assert needs("ecr", "SetRepositoryPolicy", repositoryName="shop/web",
                 policyText='{"Statement": []}') == [
        ("ecr:SetRepositoryPolicy", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/shop/web", {})]


def test_ecr_reads_are_on_the_repository_and_a_full_listing_on_all_of_them() -> None:
    assert needs("ecr", "BatchGetImage", repositoryName="a/b", registryId="999") == [
        ("ecr:BatchGetImage", "arn:aws:ecr:us-east-1:999:repository/a/b", {})]
    assert needs("ecr", "DescribeRepositories") == [
        ("ecr:DescribeRepositories", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*", {})]


def test_sns_publish_batch_is_sns_publish() -> None:
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:t"
    assert needs("sns", "PublishBatch", TopicArn=topic, PublishBatchRequestEntries=[]) == [
        ("sns:Publish", topic, {})]
    assert needs("sns", "Unsubscribe", SubscriptionArn=f"{topic}:uuid") == [
        ("sns:Unsubscribe", f"{topic}:uuid", {})]


def test_secrets_are_named_by_their_arn_and_tags_on_create_need_tagging() -> None:
    arn = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:stack/ns/pull{SECRET_SUFFIX}"
    found = needs("secretsmanager", "CreateSecret", Name="stack/ns/pull", SecretString="{}",
                  Tags=[{"Key": "imagestreams:type", "Value": "t"}])
    assert [(action, resource) for action, resource, _ in found] == [
        ("secretsmanager:CreateSecret", arn), ("secretsmanager:TagResource", arn)]
    assert needs("secretsmanager", "GetSecretValue", SecretId=arn) == [
        ("secretsmanager:GetSecretValue", arn, {})]
    assert needs("secretsmanager", "ListSecrets") == [("secretsmanager:ListSecrets", "*", {})]


def test_a_queue_url_is_authorized_as_the_queue_arn() -> None:
    assert needs("sqs", "SendMessage", MessageBody="{}",
                 QueueUrl=f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/dlq") == [
        ("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq", {})]


@pytest.mark.parametrize("service,operation", [("dynamodb", "Scan2"), ("s3", "GetObject"),
                                               ("ecr", "DeleteRepository")])
def test_a_request_not_described_fails_loudly(service: str, operation: str) -> None:
    with pytest.raises(NotModelled):
        needs(service, operation)
