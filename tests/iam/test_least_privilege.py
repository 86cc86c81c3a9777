"""Least privilege, proven: every AWS call each function makes in tests/iam/scenarios.py is
allowed by that function's own policy, and every action (and resource) a policy grants is
needed by at least one of them.

The policies are read as deployed: `.chalice/config.json` names each function's file per
stage, and their CloudFormation intrinsics are resolved to the moto resources' ARNs.
"""
from __future__ import annotations

from typing import Any

import pytest

from . import deployment
from .aws_requests import RecordedCall, authorizations
from .policy_evaluator import (
    Authorization,
    decide,
    denied,
    statements,
    without_action,
    without_resource,
)
from .recording import NO_FUNCTION
from .scenarios import Recording


def _needed(recording: Recording, function: str) -> list[tuple[RecordedCall, Authorization]]:
    """Every authorization the function's recorded calls need, with the call needing it."""
    return [(call, needed) for call in recording.calls if call.function == function
            for needed in authorizations(call, recording.facts.account, recording.keys)]


def _refusals(policy: dict[str, Any], needs: list[tuple[RecordedCall, Authorization]]
              ) -> list[str]:
    return [f"{authorization} ({decide(policy, authorization).value}), needed by {call}"
            for call, authorization in needs if denied(policy, [authorization])]


def _needs_it(policy: dict[str, Any], narrower: dict[str, Any],
              needs: list[tuple[RecordedCall, Authorization]]) -> bool:
    """Whether `narrower` refuses something `policy` allows that a call needs."""
    allowed = [need for need in needs if not denied(policy, [need[1]])]
    return bool(_refusals(narrower, allowed))


def test_every_function_the_app_declares_ran(recording: Recording) -> None:
    ran = {call.function for call in recording.calls if call.made_by == "code"}
    assert set(deployment.functions()) <= ran, (
        f"functions whose code made no AWS call in tests/iam/scenarios.py: "
        f"{sorted(set(deployment.functions()) - ran)}; give each one a scenario")


def test_every_call_is_made_by_a_function(recording: Recording) -> None:
    stray = [str(call) for call in recording.calls if call.function == NO_FUNCTION]
    assert not stray, f"calls made outside any function's environment: {stray}"


def test_every_route_of_the_api_was_requested(recording: Recording) -> None:
    from chalicelib.api.routes import ROUTES
    routes = {(path, method) for path, methods in ROUTES.items() for method in methods}
    missing = sorted(routes - recording.requested_routes)
    assert not missing, f"routes no request of tests/iam/scenarios.py run_api reaches: {missing}"


@pytest.mark.parametrize("function", deployment.functions())
@pytest.mark.parametrize("stage", deployment.stages())
def test_every_call_is_allowed_by_its_functions_policy(recording: Recording, function: str,
                                                       stage: str) -> None:
    policy = deployment.policy(function, stage, recording.facts)
    refusals = _refusals(policy, _needed(recording, function))
    assert not refusals, (
        f"{deployment.policy_file(function, stage)} does not allow what {function} ({stage}) "
        "needs:\n" + "\n".join(dict.fromkeys(refusals)))


def _grants() -> list[Any]:
    """One case per action of every statement of every policy file."""
    cases = []
    for name in deployment.policy_files():
        for index, statement in enumerate(statements(deployment.raw_policy(name))):
            actions = statement.get("Action", [])
            for action in actions if isinstance(actions, list) else [actions]:
                cases.append(pytest.param(name, index, action,
                                          id=f"{name}:{statement.get('Sid', index)}:{action}"))
    return cases


@pytest.mark.parametrize("policy_file,statement,action", _grants())
def test_every_granted_action_is_needed(recording: Recording, policy_file: str,
                                        statement: int, action: str) -> None:
    """Without the action, some call of a function using the policy is refused: the grant
    is needed. An action no call needs is too wide and goes."""
    for function, stage in deployment.policy_files()[policy_file]:
        policy = deployment.policy(function, stage, recording.facts)
        if _needs_it(policy, without_action(policy, statement, action),
                     _needed(recording, function)):
            return
    sid = statements(deployment.raw_policy(policy_file))[statement].get("Sid", statement)
    pytest.fail(f"{policy_file}: no call of {deployment.policy_files()[policy_file]} needs "
                f"{action} of statement {sid}: remove it (too wide), or add the scenario that "
                "needs it to tests/iam/scenarios.py")


def _resources() -> list[Any]:
    """One case per resource of statements that list several."""
    cases = []
    for name in deployment.policy_files():
        for index, statement in enumerate(statements(deployment.raw_policy(name))):
            resources = statement.get("Resource")
            if isinstance(resources, list) and len(resources) > 1:
                cases += [pytest.param(name, index, position,
                                       id=f"{name}:{statement.get('Sid', index)}:{position}")
                          for position in range(len(resources))]
    return cases


@pytest.mark.parametrize("policy_file,statement,position", _resources())
def test_every_granted_resource_is_needed(recording: Recording, policy_file: str,
                                          statement: int, position: int) -> None:
    for function, stage in deployment.policy_files()[policy_file]:
        policy = deployment.policy(function, stage, recording.facts)
        resource = statements(policy)[statement]["Resource"][position]
        if _needs_it(policy, without_resource(policy, statement, resource),
                     _needed(recording, function)):
            return
    pytest.fail(f"{policy_file}: no call needs resource {position} of statement {statement}")
