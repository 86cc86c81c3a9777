"""The CloudFormation intrinsics the policies and the functions' environment use, resolved
against one stack's facts: which physical value each Ref and Fn::GetAtt stands for.

A reference to anything the facts do not hold raises UnknownReference, naming it: a
policy or setting that points somewhere the tests do not model must fail them loudly.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NO_VALUE = object()  # AWS::NoValue: the property is left out
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


class UnknownReference(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class StackFacts:
    """Pseudo parameters, parameter values, resources' Ref and GetAtt values, and the
    template's conditions (evaluated with these parameter values)."""

    region: str
    account: str
    stack_name: str
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    refs: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[tuple[str, str], str] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)

    def ref(self, name: str) -> Any:
        pseudo = {"AWS::Region": self.region, "AWS::AccountId": self.account,
                  "AWS::StackName": self.stack_name, "AWS::Partition": self.partition,
                  "AWS::URLSuffix": self.url_suffix, "AWS::NoValue": NO_VALUE}
        for source in (pseudo, self.parameters, self.refs):
            if name in source:
                return source[name]
        raise UnknownReference(f"Ref {name}: no such parameter or resource in the test stack")

    def get_att(self, resource: str, attribute: str) -> str:
        try:
            return self.attributes[(resource, attribute)]
        except KeyError:
            raise UnknownReference(f"Fn::GetAtt {resource}.{attribute}: not in the test "
                                   "stack") from None

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise UnknownReference(f"condition {name}: not in the template")
        return bool(resolve(self.conditions[name], self))


def _sub(template: str, variables: Mapping[str, Any], facts: StackFacts) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in variables:
            return str(resolve(variables[name], facts))
        if "." in name and not name.startswith("AWS::"):
            return facts.get_att(*name.split(".", 1))
        return str(facts.ref(name))
    # ${!Literal} is written as ${Literal}; the pattern leaves those alone.
    return _SUB.sub(value, template).replace("${!", "${")


def resolve(value: Any, facts: StackFacts) -> Any:
    """`value` with every intrinsic function replaced by what it stands for."""
    if isinstance(value, list):
        return [v for v in (resolve(item, facts) for item in value) if v is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (name, argument), = value.items()
        if name == "Ref":
            return facts.ref(argument)
        if name == "Fn::GetAtt":
            resource, attribute = (argument.split(".", 1) if isinstance(argument, str)
                                   else argument)
            return facts.get_att(resource, attribute)
        if name == "Fn::Sub":
            template, variables = (argument, {}) if isinstance(argument, str) else argument
            return _sub(template, variables, facts)
        if name == "Fn::If":
            condition, if_true, if_false = argument
            return resolve(if_true if facts.condition(condition) else if_false, facts)
        if name == "Fn::Equals":
            left, right = (resolve(side, facts) for side in argument)
            return left == right
        if name == "Fn::Join":
            separator, parts = argument
            return separator.join(str(part) for part in resolve(parts, facts))
        if name.startswith("Fn::") or name == "Condition":
            raise UnknownReference(f"{name}: an intrinsic function the tests do not resolve")
    resolved = {key: resolve(item, facts) for key, item in value.items()}
    return {key: item for key, item in resolved.items() if item is not NO_VALUE}
