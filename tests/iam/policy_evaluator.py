"""IAM's evaluation of one identity-based policy, for the requests the functions make.

Only what an identity policy can decide on its own: an explicit Deny in any applicable
statement wins, else an applicable Allow allows, else the request is implicitly denied
(no permission boundaries, session policies, SCPs or resource policies exist here).

A statement applies when its Action (or NotAction) matches the action, its Resource (or
NotResource) matches the resource ARN and every condition holds. Anything this evaluator
does not model (an unknown condition operator, a policy variable, a single-valued operator
on a key with several values) raises PolicyNotUnderstood: a policy the tests cannot read
must fail them, never pass them.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any


class PolicyNotUnderstood(ValueError):
    """The policy uses something this evaluator does not model."""


class Decision(Enum):
    ALLOWED = "allowed"
    IMPLICITLY_DENIED = "implicitly denied"
    EXPLICITLY_DENIED = "explicitly denied"


@dataclass(frozen=True)
class Authorization:
    """One authorization AWS makes for a request: an action on a resource, with the
    request's condition keys (names as AWS spells them; IAM compares them without case).
    A request may need several: a TransactWriteItems one per item, a create with tags also
    the tagging action."""

    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __str__(self) -> str:
        keys = "".join(f" {key}={list(values)}" for key, values in sorted(self.context.items()))
        return f"{self.action} on {self.resource}{keys}"


@cache
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards: `*` any run of characters (none included), `?` exactly one."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"(?s:{body})\\Z", re.IGNORECASE if ignore_case else 0)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    if "${" in pattern:
        raise PolicyNotUnderstood(f"policy variables are not modelled: {pattern!r}")
    return _wildcard(pattern, ignore_case).match(value) is not None


def _strings(value: Any, where: str) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) for v in values):
        raise PolicyNotUnderstood(f"{where} must be a string or a list of strings: {value!r}")
    return values


def _string_equals(pattern: str, value: str) -> bool:
    if "${" in pattern:
        raise PolicyNotUnderstood(f"policy variables are not modelled: {pattern!r}")
    return pattern == value


# Positive operators; each has a negated twin (StringNotEquals, StringNotLike, ArnNotLike...).
_MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": _string_equals,
    "StringEqualsIgnoreCase": lambda p, v: _string_equals(p.lower(), v.lower()),
    "StringLike": wildcard_match,
    "ArnEquals": wildcard_match,  # IAM matches ARNs with wildcards under both names
    "ArnLike": wildcard_match,
}
_NEGATED = {"StringNotEquals": "StringEquals",
            "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
            "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike"}


def _condition_holds(operator: str, key: str, expected: Any,
                     context: Mapping[str, tuple[str, ...]]) -> bool:
    """One operator on one key, as IAM evaluates it
    (IAM User Guide, "Condition operators" and "Multivalued context keys")."""
    present = {name.lower(): values for name, values in context.items()}
    actual = present.get(key.lower())
    if operator == "Null":
        wanted = _strings(expected, f"Null {key}")
        if any(v not in ("true", "false") for v in wanted):
            raise PolicyNotUnderstood(f"Null takes true or false: {expected!r}")
        return (actual is None or not actual) == (wanted[0] == "true")
    set_operator, _, operator = operator.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    negated = operator in _NEGATED
    matcher = _MATCHERS.get(_NEGATED.get(operator, operator))
    if matcher is None or set_operator not in ("", "ForAllValues", "ForAnyValue"):
        raise PolicyNotUnderstood(f"condition operator not modelled: {operator}")
    patterns = _strings(expected, f"{operator} {key}")

    def matches(value: str) -> bool:
        return any(matcher(pattern, value) for pattern in patterns)

    if set_operator == "ForAllValues":
        # True when every value matches (a negated operator: matches none), and also when
        # the request has no value at all: a ForAllValues Allow does not require the key.
        return all(matches(v) != negated for v in actual or ())
    if set_operator == "ForAnyValue":
        return any(matches(v) != negated for v in actual or ())
    if actual is None:
        # A missing key: the condition fails, but a negated operator or IfExists holds.
        return if_exists or negated
    if len(actual) != 1:
        raise PolicyNotUnderstood(f"{operator} on {key}, which has several values in the "
                                  "request: use ForAllValues or ForAnyValue")
    return matches(actual[0]) != negated


def _conditions_hold(conditions: Mapping[str, Any], authorization: Authorization) -> bool:
    return all(_condition_holds(operator, key, expected, authorization.context)
               for operator, keys in conditions.items() for key, expected in keys.items())


def _element_matches(statement: Mapping[str, Any], name: str, value: str,
                     ignore_case: bool) -> bool:
    """Action/NotAction or Resource/NotResource of a statement against `value`."""
    negated = f"Not{name}"
    if (name in statement) == (negated in statement):
        raise PolicyNotUnderstood(f"a statement needs exactly one of {name} and {negated}: "
                                  f"{statement!r}")
    patterns = _strings(statement.get(name, statement.get(negated)), name)
    hit = any(wildcard_match(p, value, ignore_case=ignore_case) for p in patterns)
    return hit if name in statement else not hit


def statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = policy.get("Statement")
    found = found if isinstance(found, list) else [found]
    for statement in found:
        if not isinstance(statement, Mapping) or statement.get("Effect") not in ("Allow", "Deny"):
            raise PolicyNotUnderstood(f"a statement needs Effect Allow or Deny: {statement!r}")
        if "Principal" in statement or "NotPrincipal" in statement:
            raise PolicyNotUnderstood("an identity policy names no principal")
    return found


def applies(statement: Mapping[str, Any], authorization: Authorization) -> bool:
    return (_element_matches(statement, "Action", authorization.action, ignore_case=True)
            and _element_matches(statement, "Resource", authorization.resource,
                                 ignore_case=False)
            and _conditions_hold(statement.get("Condition", {}), authorization))


def decide(policy: Mapping[str, Any], authorization: Authorization) -> Decision:
    applicable = [s["Effect"] for s in statements(policy) if applies(s, authorization)]
    if "Deny" in applicable:
        return Decision.EXPLICITLY_DENIED
    return Decision.ALLOWED if "Allow" in applicable else Decision.IMPLICITLY_DENIED


def denied(policy: Mapping[str, Any], needed: Iterable[Authorization]) -> list[Authorization]:
    """The authorizations of `needed` the policy does not allow."""
    return [a for a in needed if decide(policy, a) is not Decision.ALLOWED]


def without_action(policy: Mapping[str, Any], statement_index: int,
                   action: str) -> dict[str, Any]:
    """The policy with `action` taken out of one statement's Action list (the statement
    dropped when nothing is left of it)."""
    kept = []
    for index, statement in enumerate(statements(policy)):
        if index == statement_index:
            actions = [a for a in _strings(statement["Action"], "Action") if a != action]
            if not actions:
                continue
            statement = {**statement, "Action": actions}
        kept.append(statement)
    return {**policy, "Statement": kept}


def without_resource(policy: Mapping[str, Any], statement_index: int,
                     resource: str) -> dict[str, Any]:
    """The policy with `resource` taken out of one statement's Resource list."""
    kept = []
    for index, statement in enumerate(statements(policy)):
        if index == statement_index:
            resources = [r for r in _strings(statement["Resource"], "Resource") if r != resource]
            if not resources:
                continue
            statement = {**statement, "Resource": resources}
        kept.append(statement)
    return {**policy, "Statement": kept}
