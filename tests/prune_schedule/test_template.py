"""The optional pruning schedule in the deployment template: with the PruneSchedule
parameter empty (the default) nothing of it exists, and with a schedule its function,
log group, role, alarms and rule do, wired to the stack's Prune* parameters. Every
reference left in the template must still name something that exists, either way.
(`make lint` runs cfn-lint on the packaged template and its SAM expansion, where SAM
gives the rule and its permission the function's condition.)"""
from __future__ import annotations

import re
from typing import Any

import pytest

from infra.template import declared_handlers, merge_template
from tests.deploy.template_values import references

PRUNE_RESOURCES = {"PruneImages", "PruneImagesLogs", "PruneImagesRole",
                   "PruneImagesErrorsAlarm", "PruneImagesThrottlesAlarm"}
PSEUDO = {"AWS::StackName", "AWS::AccountId", "AWS::Region", "AWS::Partition",
          "AWS::URLSuffix", "AWS::NoValue"}
# What Chalice's package adds to the merge template, which this test does not build.
FROM_CHALICE = re.compile(r".*Role$|^RestAPI.*|^ApiGateway.*|.*Authorizer.*")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return merge_template(declared_handlers())


class Stack:
    """The template as CloudFormation would make it with these parameter values."""

    def __init__(self, template: dict[str, Any], **values: str) -> None:
        self.template = template
        self.values = {name: str(spec.get("Default", "")) for name, spec
                       in template["Parameters"].items()} | values

    def truth(self, node: Any) -> bool:
        if isinstance(node, str):
            return self.truth(self.template["Conditions"][node])
        (function, argument), = node.items()
        if function == "Fn::Equals":
            return self.scalar(argument[0]) == self.scalar(argument[1])
        if function == "Fn::Not":
            return not self.truth(argument[0])
        if function == "Fn::And":
            return all(self.truth(item) for item in argument)
        if function == "Fn::Or":
            return any(self.truth(item) for item in argument)
        if function == "Condition":
            return self.truth(argument)
        raise NotImplementedError(function)

    def scalar(self, node: Any) -> str:
        if isinstance(node, dict) and "Ref" in node:
            return self.values[node["Ref"]]
        return str(node)

    def resources(self) -> dict[str, Any]:
        return {name: resource for name, resource in self.template["Resources"].items()
                if "Condition" not in resource or self.truth(resource["Condition"])}

    def references(self, node: Any) -> set[str]:
        """Names a value refers to, following only the Fn::If branches taken."""
        return references(node, self.truth)

    def dangling(self) -> dict[str, set[str]]:
        """References, by resource, that name nothing this stack would have."""
        resources = self.resources()
        known = set(resources) | set(self.values) | PSEUDO
        # SAM names an event's rule <function><event>, Chalice the function's role
        for name, resource in resources.items():
            for event in resource.get("Properties", {}).get("Events", {}):
                known.add(f"{name}{event}")
        dangling = {}
        for name, resource in resources.items():
            missing = {ref for ref in self.references(resource)
                       if ref not in known and not FROM_CHALICE.match(ref)}
            if missing:
                dangling[name] = missing
        return dangling


def test_without_a_schedule_nothing_of_it_exists(template: dict[str, Any]) -> None:
    assert template["Parameters"]["PruneSchedule"]["Default"] == ""
    stack = Stack(template)
    assert not PRUNE_RESOURCES & set(stack.resources())
    assert set(template["Resources"]) >= PRUNE_RESOURCES  # there, under the condition
    for name in PRUNE_RESOURCES:
        assert template["Resources"][name]["Condition"] == "PruneOnSchedule", name
    assert stack.dangling() == {}
    dead_letters = template["Resources"]["EventDeadLetterQueuePolicy"]
    assert "PruneImagesPruneImagesEvent" not in stack.references(dead_letters)


def test_with_a_schedule_the_function_runs_on_it_with_the_keep_settings(
        template: dict[str, Any]) -> None:
    stack = Stack(template, PruneSchedule="rate(1 day)", PruneKeepTagRevisions="5")
    assert PRUNE_RESOURCES <= set(stack.resources())
    assert stack.dangling() == {}
    function = template["Resources"]["PruneImages"]["Properties"]
    event = function["Events"]["PruneImagesEvent"]["Properties"]
    assert event["Schedule"] == {"Ref": "PruneSchedule"}
    assert event["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["EventDeadLetterQueue", "Arn"]}}
    assert function["Environment"]["Variables"] == {
        "PRUNE_KEEP_TAG_REVISIONS": {"Ref": "PruneKeepTagRevisions"},
        "PRUNE_KEEP_YOUNGER_THAN": {"Ref": "PruneKeepYoungerThan"},
        "PRUNE_NAMESPACES": {"Ref": "PruneNamespaces"},
        "PRUNE_REGISTRY": {"Ref": "PruneRegistry"}}
    # EventBridge may dead-letter this rule's undelivered events too
    dead_letters = template["Resources"]["EventDeadLetterQueuePolicy"]
    assert "PruneImagesPruneImagesEvent" in stack.references(dead_letters)


@pytest.mark.parametrize("parameter, good, bad", [
    ("PruneSchedule", ["", "rate(1 day)", "rate(12 hours)", "cron(0 3 * * ? *)"],
     ["1 day", "daily", "rate(1 day) "]),
    ("PruneKeepYoungerThan", ["60m", "1h30m", "0", "48h", "0s", "1.5h"],
     ["", "-1h", "soon", "60"]),
    ("PruneNamespaces", ["", "team", "team,ops-2"], ["Team", "team,", "team, ops"]),
])
def test_parameter_patterns(template: dict[str, Any], parameter: str, good: list[str],
                            bad: list[str]) -> None:
    # CloudFormation matches AllowedPattern against the whole value
    pattern = re.compile(template["Parameters"][parameter]["AllowedPattern"])
    assert [value for value in good if not pattern.fullmatch(value)] == []
    assert [value for value in bad if pattern.fullmatch(value)] == []
