"""What the deployment gives each Lambda function: its IAM policy (Chalice's
`.chalice/config.json` names a policy file per function and stage) and its environment
variables (the template's Globals and per-function properties, infra/template.py), both
resolved against a stack's facts.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from infra.template import API_HANDLER, declared_handlers, merge_template

from .cloudformation import StackFacts, resolve

REPO = Path(__file__).resolve().parents[2]
CHALICE_DIR = REPO / ".chalice"


@cache
def functions() -> tuple[str, ...]:
    """The Lambda functions app.py declares (Chalice handler names; the API is "app")."""
    return tuple(declared_handlers())


@cache
def template() -> dict[str, Any]:
    return merge_template(functions())


def _chalice_config() -> dict[str, Any]:
    return json.loads((CHALICE_DIR / "config.json").read_text(encoding="utf-8"))


def stages() -> list[str]:
    return sorted(_chalice_config().get("stages", {}))


def _lookup(function: str, stage: str, key: str) -> Any:
    """A setting as Chalice resolves it: the function in the stage, the stage, the function,
    then the top level (chalice/config.py `_chain_lookup`). Chalice's config calls the API
    function `api_handler`."""
    config = _chalice_config()
    name = "api_handler" if function == API_HANDLER else function
    stage_config = config.get("stages", {}).get(stage, {})
    levels = [stage_config.get("lambda_functions", {}).get(name, {}), stage_config,
              config.get("lambda_functions", {}).get(name, {}), config]
    for level in levels:
        if key in level:
            return level[key]
    return None


def policy_file(function: str, stage: str) -> str:
    if _lookup(function, stage, "autogen_policy") is not False:
        raise AssertionError(f"{function} ({stage}): Chalice would generate its policy; the "
                             "least-privilege test checks policy files only")
    name = _lookup(function, stage, "iam_policy_file")
    if not name:
        raise AssertionError(f"{function} ({stage}): no iam_policy_file in .chalice/config.json")
    return name


def policy_files() -> dict[str, list[tuple[str, str]]]:
    """Each policy file, with the (function, stage) pairs that use it."""
    users: dict[str, list[tuple[str, str]]] = {}
    for function in functions():
        for stage in stages():
            users.setdefault(policy_file(function, stage), []).append((function, stage))
    return users


def raw_policy(name: str) -> dict[str, Any]:
    return json.loads((CHALICE_DIR / name).read_text(encoding="utf-8"))


def policy(function: str, stage: str, facts: StackFacts) -> dict[str, Any]:
    return resolve(raw_policy(policy_file(function, stage)), facts)


def logical_id(function: str) -> str:
    """The function's logical id in the template (infra/functions.json)."""
    settings = json.loads((REPO / "infra" / "functions.json").read_text(encoding="utf-8"))
    return settings[function]["LogicalId"]


def environment(function: str, facts: StackFacts) -> dict[str, str]:
    """The function's environment variables as the stack sets them."""
    if any(_lookup(function, stage, "environment_variables") for stage in stages()):
        raise AssertionError(f"{function}: environment_variables in .chalice/config.json are "
                             "not modelled by tests/iam/deployment.py")
    variables = dict(template().get("Globals", {}).get("Function", {}).get(
        "Environment", {}).get("Variables", {}))
    own = template()["Resources"].get(logical_id(function), {}).get("Properties", {})
    variables.update(own.get("Environment", {}).get("Variables", {}))
    resolved = resolve(variables, facts)
    return {name: (str(value).lower() if isinstance(value, bool) else str(value))
            for name, value in resolved.items()}


def parameter_defaults() -> dict[str, Any]:
    return {name: spec["Default"] for name, spec in template().get("Parameters", {}).items()
            if "Default" in spec}


def log_groups(facts: StackFacts) -> dict[str, str]:
    """Each function's log group name (its `<LogicalId>Logs` resource)."""
    resources = template()["Resources"]
    return {function: resolve(resources[f"{logical_id(function)}Logs"]["Properties"][
        "LogGroupName"], facts) for function in functions()}


def traced(function: str) -> bool:
    """Whether X-Ray active tracing is on for the function in some stage (Chalice's `xray`):
    its role then sends the trace segments Lambda records."""
    return any(_lookup(function, stage, "xray") for stage in stages())


def lambda_timeout(function: str, stage: str = "dev") -> int:
    """The function's timeout in seconds (Chalice's default: 60)."""
    return int(_lookup(function, stage, "lambda_timeout") or 60)
