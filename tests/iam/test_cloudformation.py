"""The intrinsics the policies and the functions' environment use resolve to the stack's values."""
from __future__ import annotations

import pytest

from .cloudformation import StackFacts, UnknownReference, resolve

FACTS = StackFacts(
    "eu-west-1", "111122223333", "stack", parameters={"Fifo": "false", "Registry": ""},
    refs={"Topic": "arn:aws:sns:eu-west-1:111122223333:topic"},
    attributes={("Table", "Arn"): "arn:aws:dynamodb:eu-west-1:111122223333:table/t"},
    conditions={"IsFifo": {"Fn::Equals": [{"Ref": "Fifo"}, "true"]},
                "NoRegistry": {"Fn::Equals": [{"Ref": "Registry"}, ""]}})


def test_refs_attributes_and_pseudo_parameters() -> None:
    assert resolve({"Ref": "Topic"}, FACTS) == "arn:aws:sns:eu-west-1:111122223333:topic"
    assert resolve({"Fn::GetAtt": ["Table", "Arn"]}, FACTS) == resolve(
        {"Fn::GetAtt": "Table.Arn"}, FACTS)
    assert resolve({"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:"
                               "repository/${AWS::StackName}/*"}, FACTS) == \
        "arn:aws:ecr:eu-west-1:111122223333:repository/stack/*"


def test_sub_takes_attributes_references_variables_and_literals() -> None:
    assert resolve({"Fn::Sub": "${Table.Arn}/index/*"}, FACTS) == (
        "arn:aws:dynamodb:eu-west-1:111122223333:table/t/index/*")
    assert resolve({"Fn::Sub": "${Topic}:*"}, FACTS).endswith(":topic:*")
    assert resolve({"Fn::Sub": ["${Name}-${!Literal}", {"Name": {"Ref": "AWS::Region"}}]},
                   FACTS) == "eu-west-1-${Literal}"


def test_if_follows_the_templates_conditions_and_no_value_drops_the_property() -> None:
    value = {"A": {"Fn::If": ["IsFifo", "yes", {"Ref": "AWS::NoValue"}]},
             "B": {"Fn::If": ["NoRegistry", "ecr", "other"]},
             "C": [{"Fn::If": ["IsFifo", "x", {"Ref": "AWS::NoValue"}]}, "y"]}
    assert resolve(value, FACTS) == {"B": "ecr", "C": ["y"]}


@pytest.mark.parametrize("value", [
    {"Ref": "Missing"}, {"Fn::GetAtt": ["Table", "StreamArn"]}, {"Fn::Sub": "${Missing.Arn}"},
    {"Fn::ImportValue": "x"}, {"Fn::If": ["Unknown", 1, 2]},
])
def test_anything_the_stack_does_not_hold_fails_naming_it(value: dict) -> None:
    with pytest.raises(UnknownReference):
        resolve(value, FACTS)
