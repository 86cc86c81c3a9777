"""Least privilege, proven: every AWS call each function makes in tests/iam/scenarios.py is
allowed by that function's own policy.

The policies are read as deployed: `.chalice/config.json` names each function's file per
stage, and their CloudFormation intrinsics are resolved to the moto resources' ARNs.
"""
from __future__ import annotations

from typing import Any

import pytest

from . import deployment
from .aws_requests import RecordedCall, authorizations
from .policy_evaluator import Authorization, decide, denied
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
