"""The policy evaluator decides as IAM does for the policy forms the functions' policies use."""
from __future__ import annotations

import pytest

from .policy_evaluator import (
    Authorization,
    Decision,
    PolicyNotUnderstood,
    decide,
    wildcard_match,
    without_action,
    without_resource,
)

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/t"


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: object = "dynamodb:GetItem", resource: object = TABLE, **extra: object) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def get(*leading_keys: str, action: str = "dynamodb:GetItem", resource: str = TABLE
        ) -> Authorization:
    context = {"dynamodb:LeadingKeys": leading_keys} if leading_keys else {}
    return Authorization(action, resource, context)


def test_wildcards_are_star_and_question_mark_and_nothing_else() -> None:
    assert wildcard_match("arn:*:table/t*", TABLE + "/index/x")
    assert wildcard_match("table/?", "table/t") and not wildcard_match("table/?", "table/tt")
    assert not wildcard_match("table/t.", "table/tx")  # a dot is a dot
    assert wildcard_match("a*", "a") and not wildcard_match("A*", "a")
    assert wildcard_match("A*", "a", ignore_case=True)


def test_an_allow_needs_action_and_resource_to_match() -> None:
    assert decide(policy(allow()), get("K")) is Decision.ALLOWED
    assert decide(policy(allow("DynamoDB:getitem")), get("K")) is Decision.ALLOWED  # no case
    assert decide(policy(allow("dynamodb:Get*")), get("K")) is Decision.ALLOWED
    assert decide(policy(allow()), get("K", action="dynamodb:PutItem")) is \
        Decision.IMPLICITLY_DENIED
    assert decide(policy(allow()), get("K", resource=TABLE + "/index/i")) is \
        Decision.IMPLICITLY_DENIED
    assert decide(policy(allow(resource=f"{TABLE}/index/*")), get(
        "K", resource=f"{TABLE}/index/i")) is Decision.ALLOWED
    assert decide(policy(allow(resource=[TABLE.upper()])), get("K")) is \
        Decision.IMPLICITLY_DENIED  # resources keep their case


def test_an_explicit_deny_wins_over_any_allow() -> None:
    deny = {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}
    assert decide(policy(allow(), deny), get("K")) is Decision.EXPLICITLY_DENIED
    assert decide(policy(allow()), get("K")) is Decision.ALLOWED


def test_not_action_and_not_resource_apply_to_everything_else() -> None:
    everything_but_delete = {"Effect": "Allow", "NotAction": "dynamodb:Delete*",
                             "NotResource": "arn:aws:s3:::*"}
    assert decide(policy(everything_but_delete), get("K")) is Decision.ALLOWED
    assert decide(policy(everything_but_delete), get("K", action="dynamodb:DeleteItem")) is \
        Decision.IMPLICITLY_DENIED
    assert decide(policy(everything_but_delete), get(
        "K", action="s3:GetObject", resource="arn:aws:s3:::b/k")) is Decision.IMPLICITLY_DENIED


def test_for_all_values_needs_every_leading_key_to_match() -> None:
    tokens = allow(Condition={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["TOKEN#*"]}})
    assert decide(policy(tokens), get("TOKEN#a")) is Decision.ALLOWED
    assert decide(policy(tokens), get("TOKEN#a", "TOKEN#b")) is Decision.ALLOWED
    assert decide(policy(tokens), get("TOKEN#a", "IS#x")) is Decision.IMPLICITLY_DENIED
    assert decide(policy(tokens), get("IS#x")) is Decision.IMPLICITLY_DENIED
    # IAM's documented pitfall: a request without the key satisfies ForAllValues.
    assert decide(policy(tokens), get()) is Decision.ALLOWED


def test_for_any_value_needs_one_match_and_the_key() -> None:
    any_token = allow(Condition={"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": "T"}})
    assert decide(policy(any_token), get("T", "U")) is Decision.ALLOWED
    assert decide(policy(any_token), get("U")) is Decision.IMPLICITLY_DENIED
    assert decide(policy(any_token), get()) is Decision.IMPLICITLY_DENIED


def test_single_valued_operators_on_request_tags() -> None:
    create = Authorization("ecr:CreateRepository", "arn:aws:ecr:r:1:repository/a/b", {
        "aws:RequestTag/team": ("a/b",), "aws:TagKeys": ("team",)})
    untagged = Authorization("ecr:CreateRepository", "arn:aws:ecr:r:1:repository/a/b")
    tagged = allow("ecr:CreateRepository", "*",
                   Condition={"StringLike": {"AWS:RequestTag/team": "*/*"}})  # key: no case
    assert decide(policy(tagged), create) is Decision.ALLOWED
    assert decide(policy(tagged), untagged) is Decision.IMPLICITLY_DENIED  # a missing key fails
    not_prod = allow("ecr:CreateRepository", "*",
                     Condition={"StringNotEquals": {"aws:RequestTag/env": "prod"}})
    assert decide(policy(not_prod), untagged) is Decision.ALLOWED  # ...but not a negated one
    if_exists = allow("ecr:CreateRepository", "*",
                      Condition={"StringLikeIfExists": {"aws:RequestTag/team": "x"}})
    assert decide(policy(if_exists), untagged) is Decision.ALLOWED
    assert decide(policy(if_exists), create) is Decision.IMPLICITLY_DENIED
    no_tags = allow("ecr:CreateRepository", "*", Condition={"Null": {"aws:TagKeys": "true"}})
    assert decide(policy(no_tags), untagged) is Decision.ALLOWED
    assert decide(policy(no_tags), create) is Decision.IMPLICITLY_DENIED


def test_every_condition_of_a_statement_must_hold() -> None:
    both = allow("ecr:CreateRepository", "*", Condition={
        "StringLike": {"aws:RequestTag/team": "*/*"},
        "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}})
    assert decide(policy(both), Authorization("ecr:CreateRepository", "x", {
        "aws:RequestTag/team": ("a/b",), "aws:TagKeys": ("team",)})) is Decision.ALLOWED
    assert decide(policy(both), Authorization("ecr:CreateRepository", "x", {
        "aws:RequestTag/team": ("a/b",), "aws:RequestTag/extra": ("1",),
        "aws:TagKeys": ("team", "extra")})) is Decision.IMPLICITLY_DENIED


@pytest.mark.parametrize("statement", [
    allow(Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "60"}}),
    allow(Condition={"StringEquals": {"dynamodb:LeadingKeys": "T"}}),  # several values
    allow(resource="arn:aws:dynamodb:*:*:table/${aws:username}"),
    {"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "x"},
    {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"},
    {"Effect": "Maybe", "Action": "*", "Resource": "*"},
])
def test_what_it_does_not_model_fails_loudly(statement: dict) -> None:
    with pytest.raises(PolicyNotUnderstood):
        decide(policy(statement), get("T", "U"))


def test_taking_out_an_action_or_a_resource() -> None:
    two = policy(allow(["dynamodb:GetItem", "dynamodb:PutItem"]), allow("sns:Publish", ["a", "b"]))
    assert without_action(two, 0, "dynamodb:GetItem")["Statement"][0]["Action"] == [
        "dynamodb:PutItem"]
    assert len(without_action(two, 1, "sns:Publish")["Statement"]) == 1  # nothing left of it
    assert without_resource(two, 1, "a")["Statement"][1]["Resource"] == ["b"]
    assert two["Statement"][0]["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem"]  # a copy
