"""What a template's values come to in a deployed stack, worked out independently of the
emulator: parameters as the stack holds them, resources by the ids the stack reports.

Only the intrinsic functions the template uses are known; another fails loudly, naming
itself, rather than being compared wrongly.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NO_VALUE = object()  # Ref AWS::NoValue: the property is left out
SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def references(node: Any, branch: Callable[[Any], bool] | None = None) -> set[str]:
    """The logical ids and parameters a template value refers to. With `branch` (a
    condition's truth), only the Fn::If branches taken; without, both."""
    if isinstance(node, list):
        return set().union(*(references(item, branch) for item in node))
    if not isinstance(node, dict):
        return set()
    if branch is not None and set(node) == {"Fn::If"}:
        condition, if_true, if_false = node["Fn::If"]
        return references(if_true if branch(condition) else if_false, branch)
    found: set[str] = set()
    for key, value in node.items():
        if key == "Ref":
            found.add(value)
        elif key == "Fn::GetAtt":
            found.add(value[0] if isinstance(value, list) else value.split(".", 1)[0])
        elif key == "Fn::Sub":
            text = value if isinstance(value, str) else value[0]
            found |= {name.split(".", 1)[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
            found |= references(value[1] if isinstance(value, list) else None, branch)
        else:
            found |= references(value, branch)
    return found


def _is_function(key: str) -> bool:
    return key == "Ref" or key.startswith("Fn::")


@dataclass
class TemplateValues:
    template: dict[str, Any]
    parameters: dict[str, str]  # the stack's parameter values
    physical_ids: dict[str, str]  # logical id -> physical id, as the stack reports them
    pseudo: dict[str, str]  # AWS::StackName, AWS::AccountId, AWS::Region, ...
    attribute: Callable[[str, str], Any]  # Fn::GetAtt of a logical id, as the stack reports

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) != 1 or not _is_function(next(iter(node))):
            return {key: v for key, v in ((k, self.value(item)) for k, item in node.items())
                    if v is not NO_VALUE}
        (function, argument), = node.items()
        if function == "Ref":
            return self.ref(argument)
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            values = {name: str(self.value(v)) for name, v in variables.items()}
            return SUB_VARIABLE.sub(lambda found: values[found.group(1)] if found.group(1)
                                    in values else self._sub(found.group(1)), text)
        if function == "Fn::If":
            condition, if_true, if_false = argument
            return self.value(if_true if self.condition(condition) else if_false)
        if function == "Fn::GetAtt":
            logical_id, attribute = argument if isinstance(argument, list) else \
                argument.split(".", 1)
            return self.attribute(logical_id, attribute)
        if function == "Fn::Join":
            separator, items = argument
            return separator.join(str(item) for item in self.value(items))
        raise NotImplementedError(f"the deploy test does not resolve {function} {argument}")

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        parameter = self.template.get("Parameters", {}).get(name)
        if parameter is not None:
            # A Number parameter reaches a resource's API as a number.
            value = self.parameters[name]
            return int(value) if parameter["Type"] == "Number" and value.isdigit() else value
        return self.physical_ids[name]

    def condition(self, name: str) -> bool:
        return self._truth(self.template["Conditions"][name])

    def _truth(self, node: Any) -> bool:
        (function, argument), = node.items()
        if function == "Fn::Equals":
            left, right = (self.value(side) for side in argument)
            return str(left) == str(right)
        if function == "Fn::Not":
            return not self._truth(argument[0])
        if function == "Fn::And":
            return all(self._truth(item) for item in argument)
        if function == "Fn::Or":
            return any(self._truth(item) for item in argument)
        if function == "Condition":
            return self.condition(argument)
        raise NotImplementedError(f"the deploy test does not resolve condition {function}")

    def _sub(self, name: str) -> str:
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return str(self.value({"Fn::GetAtt": [logical_id, attribute]}))
        return str(self.ref(name))
