"""The deploy examples' templates: cfn-lint passes, and each deployer's role allows what
the deployer does in a run on moto's ECS or Lambda (every call recorded as it is sent), on
its own service or function and nothing else, with no action it never uses.

Each call is mapped to the authorization IAM makes for it by hand, from the Service
Authorization Reference (as tests/iam does for the service's own functions); an operation
not mapped here fails the test, so a deployer that starts calling something new must be
described here first.
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

from chalicelib.resources.stream import ImageStream
from chalicelib.services.actor import SERVICE
from examples.ecs_deploy_on_tag.deployer import EcsTarget
from examples.ecs_deploy_on_tag.deployer import deploy_all as deploy_to_service
from examples.lambda_deploy_on_tag.deployer import FunctionTarget
from examples.lambda_deploy_on_tag.deployer import deploy_all as deploy_to_function
from tests.iam.cloudformation import NO_VALUE, StackFacts, resolve
from tests.iam.policy_evaluator import Authorization, denied, statements, without_action

from .conftest import client
from .function_deliveries import push, subscribe_function
from .test_ecs_deploy_example import EXECUTION_ROLE, TASK_ROLE, ecs_service
from .test_lambda_deploy_example import ECR, image_function

ROOT = Path(__file__).resolve().parents[2]
ECS_TEMPLATE = ROOT / "examples" / "ecs_deploy_on_tag" / "template.yaml"
LAMBDA_TEMPLATE = ROOT / "examples" / "lambda_deploy_on_tag" / "template.yaml"
REGION, ACCOUNT, STACK = "us-east-1", "123456789012", "web-prod-deploys"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:imagestreams-events"
LOGS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{STACK}-DeployerLogs-AbC123:*"
FAILED = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{STACK}-FailedDeployments-AbC123"


def test_the_templates_pass_cfn_lint():
    linted = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(ECS_TEMPLATE),
                             str(LAMBDA_TEMPLATE)], capture_output=True, text=True, timeout=120)
    assert linted.returncode == 0, linted.stdout + linted.stderr


# -- the role's policy, as CloudFormation would make it with these parameters

def _condition(value: Any, facts: StackFacts, conditions: Mapping[str, Any]) -> bool:
    """A template condition (Fn::Equals, Fn::Not, Fn::Or, Fn::And, Condition)."""
    (name, argument), = value.items()
    if name == "Condition":
        return _condition(conditions[argument], facts, conditions)
    if name == "Fn::Equals":
        left, right = (resolve(side, facts) for side in argument)
        return left == right
    if name == "Fn::Not":
        return not _condition(argument[0], facts, conditions)
    if name in ("Fn::Or", "Fn::And"):
        found = [_condition(item, facts, conditions) for item in argument]
        return any(found) if name == "Fn::Or" else all(found)
    raise AssertionError(f"condition function {name} is not modelled")


def role_policy(template_path: Path, parameters: dict[str, str]) -> dict[str, Any]:
    """Every statement of the deployer role's inline policies, as one policy."""
    template, errors = decode(str(template_path))
    assert not errors, errors
    template = json.loads(json.dumps(template))  # plain dicts and strings
    defaults = {name: spec["Default"] for name, spec in template["Parameters"].items()
                if "Default" in spec}
    bare = StackFacts(REGION, ACCOUNT, STACK, parameters={**defaults, **parameters})
    conditions = {name: _condition(value, bare, template.get("Conditions", {}))
                  for name, value in template.get("Conditions", {}).items()}
    facts = StackFacts(REGION, ACCOUNT, STACK, parameters=bare.parameters,
                       attributes={("DeployerLogs", "Arn"): LOGS,
                                   ("FailedDeployments", "Arn"): FAILED},
                       conditions=conditions)
    policies = resolve(template["Resources"]["DeployerRole"]["Properties"]["Policies"], facts)
    found = [s for policy in policies if policy is not NO_VALUE
             for s in statements(policy["PolicyDocument"])]
    return {"Version": "2012-10-17", "Statement": found}


# -- the calls a deployer makes, recorded as botocore sends them

class Recorder:
    """Each API call made through the clients it listens on: (operation, parameters,
    response), the response being what the call returned."""

    def __init__(self, *clients: Any):
        self.calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for aws in clients:
            aws.meta.events.register("provide-client-params", self._request)
            aws.meta.events.register("after-call", self._response)

    def _request(self, params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["recorded"] = copy.deepcopy(dict(params))

    def _response(self, parsed: Mapping[str, Any], model: Any, context: Mapping[str, Any],
                  **_: Any) -> None:
        self.calls.append((model.name, context.get("recorded", {}), dict(parsed)))


def ecs_authorizations(operation: str, params: dict[str, Any],
                       response: dict[str, Any]) -> list[Authorization]:
    service = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service"
    if operation == "DescribeServices":
        return [Authorization("ecs:DescribeServices", f"{service}/{params['cluster']}/{name}")
                for name in params["services"]]
    if operation == "UpdateService":
        return [Authorization("ecs:UpdateService",
                              f"{service}/{params['cluster']}/{params['service']}")]
    if operation == "DescribeTaskDefinition":
        return [Authorization("ecs:DescribeTaskDefinition", "*")]
    if operation == "RegisterTaskDefinition":
        needed = [Authorization("ecs:RegisterTaskDefinition", "*")]
        if params.get("tags"):  # tag-on-create: TagResource on the new revision
            needed.append(Authorization(
                "ecs:TagResource", response["taskDefinition"]["taskDefinitionArn"],
                {"ecs:CreateAction": ("RegisterTaskDefinition",)}))
        for role in (params.get("taskRoleArn"), params.get("executionRoleArn")):
            if role:
                needed.append(Authorization("iam:PassRole", role, {
                    "iam:PassedToService": ("ecs-tasks.amazonaws.com",)}))
        return needed
    raise NotImplementedError(f"ECS {operation} is not described here")


def lambda_authorizations(operation: str, params: dict[str, Any],
                          response: dict[str, Any]) -> list[Authorization]:
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{params.get('FunctionName')}"
    if operation in ("GetFunctionConfiguration", "UpdateFunctionCode", "PublishVersion",
                     "GetAlias", "UpdateAlias"):
        return [Authorization(f"lambda:{operation}", function)]
    if operation in ("ListTags", "TagResource"):
        return [Authorization(f"lambda:{operation}", params["Resource"])]
    raise NotImplementedError(f"Lambda {operation} is not described here")


def needed(recorder: Recorder, mapping: Callable[..., list[Authorization]]) -> list[Authorization]:
    """What the recorded calls need, and what Lambda does with the role for the function:
    write its logs, send a failed invocation to the on-failure queue."""
    found = [a for call in recorder.calls for a in mapping(*call)]
    return found + [
        Authorization("logs:CreateLogStream", LOGS.replace(":*", ":log-stream:2026/03/01/x")),
        Authorization("logs:PutLogEvents", LOGS.replace(":*", ":log-stream:2026/03/01/x")),
        Authorization("sqs:SendMessage", FAILED)]


def unused_actions(policy: dict[str, Any], needs: list[Authorization]) -> list[str]:
    """Actions of the policy that no needed authorization uses."""
    unused = []
    for index, statement in enumerate(policy["Statement"]):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [
            statement["Action"]]
        for action in actions:
            if not denied(without_action(policy, index, action), needs):
                unused.append(f"{statement.get('Sid')}: {action}")
    return unused


# -- ECS

ECS_PARAMETERS = {"TopicArn": TOPIC, "Namespace": "shop", "ImageStream": "web", "Tag": "prod",
                  "Cluster": "shop", "Service": "web-prod", "Container": "web",
                  "TaskDefinitionFamily": "web-prod", "TaskRoleArn": TASK_ROLE,
                  "ExecutionRoleArn": EXECUTION_ROLE}


def test_the_ecs_deployers_role_allows_its_run_on_its_own_service_only(cloud):
    ecs = client("ecs")
    ecs_service(ecs)
    cloud.services.streams.create(SERVICE, "shop", ImageStream.model_validate({"metadata": {"name": "web"}}))
    deliveries = subscribe_function(cloud, "shop", "web", "web-prod-deployer", tags=["prod"])
    push(cloud, "shop", "web", "prod", "a")
    push(cloud, "shop", "web", "prod", "b")
    recorder = Recorder(ecs)
    target = EcsTarget(cluster="shop", service="web-prod", container="web")
    for event in deliveries.events():
        deploy_to_service(event, ecs, target, "shop/web:prod")
    assert {call[0] for call in recorder.calls} == {
        "DescribeServices", "DescribeTaskDefinition", "RegisterTaskDefinition", "UpdateService"}

    policy = role_policy(ECS_TEMPLATE, ECS_PARAMETERS)
    needs = needed(recorder, ecs_authorizations)
    assert denied(policy, needs) == []
    assert unused_actions(policy, needs) == []
    service = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service"
    family = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition"
    elsewhere = [
        Authorization("ecs:UpdateService", f"{service}/shop/web-staging"),
        Authorization("ecs:UpdateService", f"{service}/other/web-prod"),
        Authorization("ecs:DescribeServices", f"{service}/shop/web-staging"),
        Authorization("ecs:TagResource", f"{family}/web-staging:3",
                      {"ecs:CreateAction": ("RegisterTaskDefinition",)}),
        Authorization("ecs:TagResource", f"{family}/web-prod:2"),  # an existing revision
        Authorization("ecs:DeregisterTaskDefinition", "*"),
        Authorization("ecs:RunTask", f"{family}/web-prod:2"),
        Authorization("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin",
                      {"iam:PassedToService": ("ecs-tasks.amazonaws.com",)}),
        Authorization("iam:PassRole", TASK_ROLE,
                      {"iam:PassedToService": ("lambda.amazonaws.com",)}),
        Authorization("logs:PutLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:other:*"),
    ]
    assert denied(policy, elsewhere) == elsewhere


def test_without_task_roles_the_ecs_deployer_may_pass_no_role():
    policy = role_policy(ECS_TEMPLATE, {**ECS_PARAMETERS, "TaskRoleArn": "",
                                        "ExecutionRoleArn": ""})
    assert not [s for s in policy["Statement"] if "iam:PassRole" in json.dumps(s)]
    only_execution = role_policy(ECS_TEMPLATE, {**ECS_PARAMETERS, "TaskRoleArn": ""})
    [passing] = [s for s in only_execution["Statement"] if s["Action"] == "iam:PassRole"]
    assert passing["Resource"] == [EXECUTION_ROLE]


# -- Lambda

LAMBDA_PARAMETERS = {"TopicArn": TOPIC, "Namespace": "shop", "ImageStream": "api",
                     "Tag": "prod", "TargetFunction": "shop-api"}


@pytest.mark.parametrize("alias", ["live", ""])
def test_the_lambda_deployers_role_allows_its_run_on_its_own_function_only(cloud, alias):
    lambda_client = client("lambda")
    image_function(lambda_client, "shop-api", alias)
    cloud.services.streams.create(SERVICE, "shop", ImageStream.model_validate({"metadata": {"name": "api"}}))
    deliveries = subscribe_function(cloud, "shop", "api", "api-prod-deployer", tags=["prod"])
    push(cloud, "shop", "api", "prod", "a", registry=ECR)
    push(cloud, "shop", "api", "prod", "b", registry=ECR)
    recorder = Recorder(lambda_client)
    for event in deliveries.events():
        deploy_to_function(event, lambda_client, FunctionTarget("shop-api", alias),
                           "shop/api:prod")
    recorded = {call[0] for call in recorder.calls}
    assert recorded == {"GetFunctionConfiguration", "UpdateFunctionCode", "PublishVersion"} | (
        {"GetAlias", "UpdateAlias"} if alias else {"ListTags", "TagResource"})

    policy = role_policy(LAMBDA_TEMPLATE, {**LAMBDA_PARAMETERS, "TargetAlias": alias})
    needs = needed(recorder, lambda_authorizations)
    assert denied(policy, needs) == []
    assert unused_actions(policy, needs) == []
    other = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop-payments"
    elsewhere = [
        Authorization("lambda:UpdateFunctionCode", other),
        Authorization("lambda:PublishVersion", other),
        Authorization("lambda:UpdateAlias", other),
        Authorization("lambda:TagResource", other),
        Authorization("lambda:UpdateFunctionConfiguration",
                      f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop-api"),
        Authorization("lambda:InvokeFunction",
                      f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop-api"),
        Authorization("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin"),
        Authorization("ecr:SetRepositoryPolicy",
                      f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/shop/api"),
    ]
    assert denied(policy, elsewhere) == elsewhere
